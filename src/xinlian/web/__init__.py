"""The web app: FastAPI routes over the library, Jinja2 pages (Chinese first) with JSON twins, ECharts charts."""
