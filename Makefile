# The two commands of README, and a few for developers.
.PHONY: run test bench clean

run:        ## run every service on this machine with the real data (embedded mode)
	@bin/bootstrap
	@.venv/bin/afterclasses run

test:       ## run the whole test suite (starts real Kafka, OpenSearch, PostgreSQL on loopback)
	@bin/test $(PYTEST_ARGS)

bench:      ## search latency over the real data and a 100k corpus
	@bin/bootstrap
	@.venv/bin/python bench/search_latency.py

clean:
	rm -rf var
