from xinlian.cli import main

main()
