"""xinlian (芯链): industrial-chain intelligence for the people who grow an industry in a district or city."""

__version__ = "0.1.0"
