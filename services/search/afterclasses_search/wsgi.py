"""gunicorn entry point: ``gunicorn afterclasses_search.wsgi:application``."""
from afterclasses_search import create_app

application = create_app()
