# Thin aliases over npm scripts. Each target installs dependencies first when they are missing,
# so a fresh clone needs nothing but Node and npm. The npm scripts run on the pinned Node 24
# (the `node` devDependency puts it first on PATH inside npm scripts).
.PHONY: run test test-cluster typecheck lint build bench soak clean
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
run: node_modules/.package-lock.json ; npm start --
test: node_modules/.package-lock.json ; npm test
# nginx (Debian nginx-light) and three sdkgate nodes on loopback: test/cluster/, a few minutes.
test-cluster: node_modules/.package-lock.json ; npm run test:cluster
typecheck: node_modules/.package-lock.json ; npm run typecheck
# ESLint (typescript-eslint), the import boundaries (dependency-cruiser) and dead exports (knip); part of `make test`.
lint: node_modules/.package-lock.json ; npm run lint
build: node_modules/.package-lock.json ; npm run build
bench: node_modules/.package-lock.json ; npm run bench
# The seam suite's long run (200 seeds, at most 45 min; see bench/seams-soak.ts for the knobs).
soak: node_modules/.package-lock.json ; npm run soak
clean: ; rm -rf node_modules coverage dist
