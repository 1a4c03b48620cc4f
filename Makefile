# The two commands of README, and a few for developers.
.PHONY: run test bench clean translations

run:        ## run every service on this machine with the real data (embedded mode)
	@bin/bootstrap
	@.venv/bin/afterclasses run

test:       ## run the whole test suite (starts real Kafka, OpenSearch, PostgreSQL on loopback)
	@bin/test $(PYTEST_ARGS)

bench:      ## search latency over the real data and a 100k corpus; the web's results page at 100k
	@bin/bootstrap
	@status=0; .venv/bin/python bench/search_latency.py || status=1; \
	  .venv/bin/python bench/web_results.py || status=1; exit $$status

translations: ## refresh the web's message catalogs after changing user-facing text (then translate the .po)
	@bin/bootstrap
	@cd services/web && ../../.venv/bin/pybabel -q extract -F babel.cfg -k lazy_gettext -o afterclasses_web/translations/messages.pot afterclasses_web
	@cd services/web && ../../.venv/bin/pybabel -q update -N -i afterclasses_web/translations/messages.pot -d afterclasses_web/translations
	@.venv/bin/pybabel -q compile -d services/web/afterclasses_web/translations

clean:
	rm -rf var
