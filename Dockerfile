# syntax=docker/dockerfile:1
#
# eventchain's images. Each stage is a target named for what it holds:
#
#   source     the Go toolchain, the module cache and the code
#   test       source, after the tests passed (vet and go test -race, as .ci/run)
#   build      every command as a static binary in /out, stamped with VERSION
#   bank, miner, auditor, scheduler, wallet, devnet, esdbtest
#              one small image per app: its binary alone on distroless
#              static, as a non-root user, with no shell
#
#   docker build --target test .
#   docker build --target bank -t eventchain-bank .
#   docker build --target bank --build-arg VERSION=v1.2.0 --build-arg REVISION=$(git rev-parse HEAD) -t eventchain-bank:v1.2.0 .
#
# examples/internal/shipping checks this file without Docker: the stages,
# the COPY sources, that the go commands are the ones .ci/run runs, and
# that every ENV and CMD flag is one the app accepts.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS source
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .

FROM source AS test
RUN --mount=type=cache,target=/root/.cache/go-build \
	go vet ./... && \
	go test -race -coverprofile=/tmp/coverage.out ./...

FROM source AS build
# VERSION and REVISION are what -version prints; the build context has no
# .git for go build to read them from. Empty, -version prints "(devel)
# revision unknown".
ARG VERSION=""
ARG REVISION=""
RUN --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/eventchain/eventchain/examples/internal/version.stampedVersion=${VERSION} -X github.com/eventchain/eventchain/examples/internal/version.stampedRevision=${REVISION} -X main.stampedVersion=${VERSION} -X main.stampedRevision=${REVISION}" -o /out/ ./eventlog/esdb/esdbtest/cmd/esdbtest ./examples/auditor ./examples/bank ./examples/devnet ./examples/miner ./examples/scheduler ./examples/wallet

# The apps read every flag from EVENTCHAIN_<FLAG> too; an image sets the
# listening addresses so they are reachable from outside the container.
# Give flags after the image name: docker run eventchain-bank -eventlog esdb://…

FROM gcr.io/distroless/static-debian12:nonroot AS bank
COPY --from=build /out/bank /bank
USER 65532:65532
ENV EVENTCHAIN_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/bank"]

FROM gcr.io/distroless/static-debian12:nonroot AS miner
COPY --from=build /out/miner /miner
USER 65532:65532
ENV EVENTCHAIN_METRICS=:9101
EXPOSE 9101
ENTRYPOINT ["/miner"]

FROM gcr.io/distroless/static-debian12:nonroot AS auditor
COPY --from=build /out/auditor /auditor
USER 65532:65532
ENV EVENTCHAIN_METRICS=:9102
EXPOSE 9102
ENTRYPOINT ["/auditor"]

FROM gcr.io/distroless/static-debian12:nonroot AS scheduler
COPY --from=build /out/scheduler /scheduler
USER 65532:65532
ENTRYPOINT ["/scheduler"]

# The wallet keeps its keys in a keystore, whose files only their owner
# may read: mount one and run as its owner, as in
#   docker run --user "$(id -u)" -v "$PWD/keys:/keys" eventchain-wallet -keystore /keys list
FROM gcr.io/distroless/static-debian12:nonroot AS wallet
COPY --from=build /out/wallet /wallet
USER 65532:65532
ENTRYPOINT ["/wallet"]

# esdbtest reads no EVENTCHAIN_ variables: its address is a flag (CMD),
# which flags given to docker run replace (give -listen :2113 with
# them). devnet is last: the image a plain docker build makes.
FROM gcr.io/distroless/static-debian12:nonroot AS esdbtest
COPY --from=build /out/esdbtest /esdbtest
USER 65532:65532
EXPOSE 2113
ENTRYPOINT ["/esdbtest"]
CMD ["-listen", ":2113"]

FROM gcr.io/distroless/static-debian12:nonroot AS devnet
COPY --from=build /out/devnet /devnet
USER 65532:65532
ENV EVENTCHAIN_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/devnet"]
