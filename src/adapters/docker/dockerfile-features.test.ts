import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BuildKitUnavailableError, EXIT_CODES } from "../../core/index.js";
import { buildKitFeatures } from "./dockerfile-features.js";

const found = (text: string) => buildKitFeatures(text).map((f) => `${f.line} ${f.feature}`);

describe("buildKitFeatures", () => {
  it("finds nothing in a Dockerfile the classic builder builds (COPY --from/--chown, ADD --chown, FROM --platform)", () => {
    assert.deepEqual(
      found(`# escape=\\
FROM --platform=linux/amd64 deloc/debian:trixie AS base
ARG GREETING=hello
COPY --from=base --chown=1000:1000 /etc/hostname /x
ADD --chown=app a.txt /a.txt
RUN echo "a<<b" && \\
    echo --mount=type=cache
`),
      [],
    );
  });

  it("names RUN --mount, --network and --security at the line where their instruction starts", () => {
    assert.deepEqual(
      found(`FROM deloc/debian:trixie
RUN apt-get update

RUN --mount=type=cache,target=/var/cache/apt \\
    --network=none apt-get install -y curl
run --security=insecure true
`),
      ["4 RUN --mount", "4 RUN --network", "6 RUN --security"],
    );
  });

  it("reads flags continued on later lines, past comment lines inside the continuation", () => {
    assert.deepEqual(
      found(`FROM deloc/debian:trixie
RUN \\
# a comment inside the continuation
    --mount=type=cache,target=/root/.cache \\
    true
`),
      ["2 RUN --mount"],
    );
  });

  it("follows the escape directive: a backtick continues lines, a backslash then does not", () => {
    assert.deepEqual(
      found(
        "# escape=`\nFROM deloc/debian:trixie\nRUN `\n  --mount=type=cache,target=/c true\nRUN echo \\\n",
      ),
      ["3 RUN --mount"],
    );
  });

  it("names COPY --link, COPY --chmod and ADD --checksum", () => {
    assert.deepEqual(
      found(`FROM deloc/debian:trixie
COPY --link a /a
COPY --chmod=755 b /b
ADD --checksum=sha256:abc https://example.com/x /x
`),
      ["2 COPY --link", "3 COPY --chmod", "4 ADD --checksum"],
    );
  });

  it("names a heredoc once, and does not read its body as instructions", () => {
    assert.deepEqual(
      found(`FROM deloc/debian:trixie
RUN <<EOF
RUN --mount=type=cache,target=/not-an-instruction true
EOF
COPY <<-"END" /etc/motd
\tCOPY --link x y
\tEND
RUN --mount=type=tmpfs,target=/t true
`),
      ["2 heredoc (<<EOF)", "5 heredoc (<<END)", "8 RUN --mount"],
    );
  });

  it("names a syntax directive at the top, and not one after the first instruction or comment", () => {
    assert.deepEqual(found("# syntax=docker/dockerfile:1\nFROM deloc/debian:trixie\n"), [
      "1 # syntax=docker/dockerfile:1",
    ]);
    assert.deepEqual(found("# a comment\n# syntax=docker/dockerfile:1\nFROM deloc/debian:trixie\n"), []);
  });
});

describe("BuildKitUnavailableError", () => {
  const needs = [
    { feature: "RUN --mount", file: "api/Dockerfile", line: 4 },
    { feature: "COPY --link", file: "api/Dockerfile", line: 9 },
  ];

  it("names each feature with its file:line, why BuildKit is unavailable, and the fix; exit 5", () => {
    const e = new BuildKitUnavailableError("shop/api:dev", needs, "no docker CLI on PATH");
    assert.equal(e.code, "E_BUILDKIT_UNAVAILABLE");
    assert.equal(EXIT_CODES[e.code], 5);
    assert.equal(
      e.message,
      "Cannot build shop/api:dev: its Dockerfile needs BuildKit, which cannot be used here (no docker CLI on PATH):\n" +
        "  api/Dockerfile:4 RUN --mount\n" +
        "  api/Dockerfile:9 COPY --link",
    );
    assert.match(e.hint ?? "", /buildx plugin/);
    assert.match(e.hint ?? "", /DOCKER_BUILDKIT=1/);
    assert.deepEqual(e.toJSON().needs, needs);
  });

  it("tells a user who set DOCKER_BUILDKIT=0 to unset it", () => {
    const e = new BuildKitUnavailableError("shop/api:dev", needs, "DOCKER_BUILDKIT=0 is set");
    assert.match(e.hint ?? "", /^Unset DOCKER_BUILDKIT/);
  });
});
