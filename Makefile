# corral - the two commands: `make run` and `make test`. Both install what is
# missing (Debian packages), build with meson + ninja, then do their job.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
WERROR     ?= 0
FUZZ_SECONDS ?= 20
MESON_FLAGS = $(if $(filter 1,$(WERROR)),-Dwerror=true,)

.PHONY: all deps build run test serve bench-api test-unit test-asan test-fuzz bench clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job on the bundled sample (400 alerts from every plan, a handful of
# attacks among the noise): every incident found, each with its why.
run: build
	$(BUILD)/corral correlate --format text --stats examples/alerts.ndjson

# The incident service on the bundled sample: a fresh database in $(BUILD)/,
# an admin token in $(BUILD)/serve.token, the sample posted once the server
# is up; serves on 127.0.0.1:8080 until Ctrl-C (docs/api/README.md).
serve: build
	@rm -f $(BUILD)/serve.db $(BUILD)/serve.db-wal $(BUILD)/serve.db-shm
	@umask 077; $(BUILD)/corral token create --db $(BUILD)/serve.db --role admin --scope '*' >$(BUILD)/serve.token
	@(sleep 1; curl -s -H "Authorization: Bearer $$(cat $(BUILD)/serve.token)" \
	    --data-binary @examples/alerts.ndjson http://127.0.0.1:8080/api/v1/alerts; echo; \
	  echo "try: curl -s -H \"Authorization: Bearer \$$(cat $(BUILD)/serve.token)\" http://127.0.0.1:8080/api/v1/incidents") &
	$(BUILD)/corral serve --db $(BUILD)/serve.db --listen 127.0.0.1:8080

# Load benchmark of the service: ingest through HTTP while queries run.
bench-api: build
	bench/api/run $(BUILD)

$(ASAN_BUILD)/build.ninja:
	CC=clang CXX=clang++ meson setup $(ASAN_BUILD) --buildtype=debug \
	    -Db_sanitize=address,undefined -Db_lundef=false $(MESON_FLAGS)

$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ meson setup $(FUZZ_BUILD) --buildtype=debugoptimized -Dfuzz=true \
	    -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false $(MESON_FLAGS)

test-unit: build
	scripts/run-tests $(BUILD)

test-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    scripts/run-tests $(ASAN_BUILD)

test-fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	scripts/run-fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every test: unit and end-to-end on a release build, again under ASan+UBSan,
# then each fuzz target briefly; ends with one "N passed, N failed" line.
test: deps
	@rm -f .test-results
	@for t in test-unit test-asan test-fuzz; do \
	    $(MAKE) --no-print-directory $$t TEST_RESULTS=$(CURDIR)/.test-results \
	        || echo "[$$t] not ok 0 - make $$t failed" >>.test-results; \
	done
	@scripts/test-summary .test-results

bench: build
	bench/run $(BUILD)
	bench/api/run $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) .test-results
