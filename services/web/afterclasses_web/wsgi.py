"""gunicorn entry point: ``gunicorn afterclasses_web.wsgi:application``."""
from afterclasses_web import create_app

application = create_app()
