#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from the wire bytes captured
from a real daemon (core/testdata/*.http) plus hand-written vectors for the parsers.

Run from anywhere: python3 fuzz/seed.py. The output is committed; re-run after
re-capturing core/testdata. Large captured bodies are trimmed (frame payloads cut to
256 bytes) so the fuzzer's inputs stay small."""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "core", "testdata")


def capture(name):
    with open(os.path.join(TESTDATA, name), "rb") as f:
        raw = f.read()
    head, _, body = raw.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", dechunk(body) if b"chunked" in head.lower() else body


def dechunk(body):
    out = b""
    while body:
        line, _, body = body.partition(b"\r\n")
        n = int(line.split(b";")[0], 16)
        if n == 0:
            break
        out += body[:n]
        body = body[n + 2:]
    return out


def chunk(body, size=1000):
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def frames(body):
    out = []
    while len(body) >= 8:
        kind, n = body[0], struct.unpack(">I", body[4:8])[0]
        out.append((kind, body[8:8 + n]))
        body = body[8 + n:]
    return out


def encode(fr):
    return b"".join(bytes([k, 0, 0, 0]) + struct.pack(">I", len(p)) + p for k, p in fr)


def trimmed_mux(body):
    return encode([(k, p[:256]) for k, p in frames(body)])


def write(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    mux_head, mux_body = capture("logs-mux.http")
    tty_head, tty_body = capture("logs-tty.http")
    mux = trimmed_mux(mux_body)
    tty = tty_body[:300] + tty_body[-40:]
    cuts = b"\x00\x09\x00\x11"

    # mux_demux: cap index, 4 cut bytes, body.
    write("mux_demux", b"\x00" + cuts + mux)
    write("mux_demux", b"\x00" + cuts + mux[:-3])  # cut inside the last frame
    write("mux_demux", b"\x00" + cuts + encode([(3, b"systemerr: boom"), (1, b"after\n")]))
    write("mux_demux", b"\x04" + cuts + encode([(1, b"x" * 100)]))  # over a 64-byte cap
    write("mux_demux", b"\x00" + cuts + encode([(1, b""), (2, b"e")]))

    # json_lines: cap index, 6 cut bytes, body.
    for name in ["events.http", "pull-progress.http", "pull-error.http", "build-ok.http",
                 "version.http", "info.http"]:
        _, body = capture(name)
        write("json_lines", b"\x00" + cuts + b"\x00\x30" + body)
    write("json_lines", b"\x00" + cuts + b"\x00\x05" + b'{"a":1}{"b":[1,2,{"c":"}"}]}\r\n"x\\"y"')
    write("json_lines", b"\x03" + cuts + b"\x00\x05" + b'{"status":"Downloading","progressDetail":{}}')

    # json_check: the document.
    for name in ["inspect.http", "list.http", "info.http", "version.http"]:
        _, body = capture(name)
        write("json_check", body)
    write("json_check", b'{"Id":"a","I\\u0064":"b","ID":5,"x":[1.5e-3,true,null,{}]}')
    write("json_check", b'["\\ud83d\\udc33", 1e300, "\\u00e9"]')

    # output_decoder: (content-type index << 1 | tty), 4 cut bytes, body.
    write("output_decoder", b"\x04" + cuts + mux)
    write("output_decoder", b"\x00" + cuts + mux)
    write("output_decoder", b"\x03" + cuts + tty)
    write("output_decoder", b"\x02" + cuts + tty)

    # http_response: call index, then the whole response as the daemon sent it.
    for name in ["ping.http", "version.http", "info.http", "events.http",
                 "pull-progress.http", "pull-error.http", "build-ok.http"]:
        with open(os.path.join(TESTDATA, name), "rb") as f:
            raw = f.read()
        for mode in (0, 2, 3, 4):
            write("http_response", bytes([mode]) + raw)
    write("http_response", b"\x02" + mux_head + chunk(mux, 300))
    write("http_response", b"\x02" + tty_head + chunk(tty, 100))
    write("http_response", b"\x01" + b"HTTP/1.1 101 UPGRADED\r\n"
          b"Content-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\n"
          b"Upgrade: tcp\r\n\r\n" + mux[:200])
    write("http_response", b"\x01HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    write("http_response", b"\x00HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
          b"Content-Length: 21\r\n\r\nsomething went wrong\n")
    write("http_response", b"\x03HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
          b"Content-Length: 29\r\n\r\n{\"message\":\"page not found\"}\n")
    write("http_response", b"\x00HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")

    # dockerignore: contents, NUL, paths.
    for ignore, paths in [
        (b"node_modules\n*.log\n!important.log\n**/temp*\n[a-c]?.txt\n",
         b"node_modules/x\nimportant.log\na/b/temp1\nb1.txt\nsrc/main.rs"),
        (b"# comment\n*\n!src\n!src/**\nsrc/secret\n", b"src/a/b\nsrc/secret\nREADME.md"),
        (b"/abs/../x\n./a/./b\n**\n!Dockerfile\n\\#notcomment\n", b"x\na/b\n#notcomment"),
        (b"dir/**\n**/name\n*/?/[!a-z]*\n", b"dir/a/b\nq/name\nz/1/9k"),
    ]:
        write("dockerignore", ignore + b"\x00" + paths)

    # daemon_host: flags (bit 0: TLS), address.
    for addr in ["", "unix://", "unix:///var/run/docker.sock", "unix://var/run/docker.sock",
                 "http+unix:///run/d.sock", "tcp://127.0.0.1:2375", "127.0.0.1:2375",
                 "https://h:2376", "tcp://:2375", ":2375", "tcp://[::1]:2375/prefix/",
                 "ssh://user@host", "ssh://h:2222", "fd://", "npipe:////./pipe/docker",
                 "tcp://host", "tcp://h:2375?x=1", "ssh://h/path", "http://h:1/a%20b"]:
        for tls in (0, 1):
            write("daemon_host", bytes([tls]) + addr.encode())

    # option_strings: parser index, string.
    vectors = {
        0: ["8080:80", "127.0.0.1:8080:80/udp", "[::1]:80:80", "1000-1001:2000-2001/udp",
            "80", "8000-8010:80", "127.0.0.1::80"],
        1: ["", "8080", "8000-8010", "127.0.0.1", "127.0.0.1:8080", "::1", "[::1]:8080"],
        2: ["80", "53/udp", "132/sctp", "1-3/tcp", "0"],
        3: ["/h:/c", "/h:/c:ro", "vol:/c:rw,z", "C:\\x:/data:ro", "v:/data:ro,rshared"],
        4: ["/data", "/srv:/data:ro", "vol:/data", "C:\\x:/d:rw"],
        5: ["512m", "1.5g", "1gb", "4096", "100000b", "1t", "-1"],
        6: ["1.5", "0.01", "2"],
        7: ["1s", "1m30s", "100ms", "1h2m3.5s"],
        8: ["/run:rw,size=64m", "/tmp"],
        9: ["/dev/sda:/dev/xvda:rwm", "/dev/null"],
        10: ["80,8080:80,127.0.0.1:53:53/udp"],
    }
    for which, strings in vectors.items():
        for s in strings:
            write("option_strings", bytes([which]) + s.encode())

    # docker_config: config.json, meta.json, helper list.
    for doc in [
        b'{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},'
        b'"reg:5000":{"auth":"YmVydGg6YmVydGgtc2VjcmV0","identitytoken":"tok"},'
        b'"docker.io":{}},"credsStore":"desktop","credHelpers":{"gcr.io":"gcloud"},'
        b'"HttpHeaders":{"X-Meta":"1"},"proxies":{"default":{"httpProxy":"http://p:3128"}},'
        b'"currentContext":"remote","detachKeys":"ctrl-p,ctrl-q"}',
        b'{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz","email":"a@b"}}',
        b'{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://me@box",'
        b'"SkipTLSVerify":false}}}',
        b'{"https://index.docker.io/v1/":"user"}',
        b'',
    ]:
        write("docker_config", doc)

    # policy: grant files (mode 0), then requests under each grant (mode 1, grant byte,
    # fields split at 0xFF: method index, path, body, lookup answers, observed answer).
    grant_toml = open(os.path.join(HERE, "..", "core", "src", "policy", "grant.example.toml"), "rb").read()
    write("policy", b"\x00\x00" + grant_toml)
    write("policy", b"\x00\x01" + b'{"allow": ["containers.list"], "limits": {"memory": "64M"}}')
    inspect = (b'{"Id":"' + b"a" * 64 + b'","Config":{"Labels":{"berth.test":"1"}},'
               b'"HostConfig":{"AutoRemove":false}}')
    creates = [
        b'{"Image":"busybox:berth-test","Cmd":["true"],"Labels":{"berth.test":"1"}}',
        b'{"Image":"busybox","Labels":{"berth.test":"1"},"HostConfig":{"Privileged":true}}',
        b'{"Image":"busybox","Labels":{"berth.test":"1"},"hostconfig":{"privileged":true}}',
        b'{"Image":"busybox","Labels":{"berth.test":"1"},"HostConfig":{"Binds":["/:/host"],'
        b'"Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/s"}],'
        b'"NetworkMode":"host","CapAdd":["ALL"],"Devices":[{"PathOnHost":"/dev/sda"}]}}',
        b'{"Image":"busybox","Labels":{"berth.test":"1"},"Labels":{"berth.test":"0"}}',
        b'{"Image":"busybox","Labels":{"berth.test":"1"},"HostConfig":{"Bind\xc5\xbf":["/:/h"]}}',
    ]
    for grant in range(3):
        g = bytes([1, grant])
        for body in creates:
            write("policy", g + b"\x01\xff/v1.41/containers/create?name=x\xff" + body)
        for path in [b"/v1.41/containers/json?all=1", b"/containers/abc/json",
                     b"/v1.41/containers/abc/start", b"/V1.41/containers/%61bc/../abc/kill",
                     b"/v1.41/containers/abc/exec", b"/v1.41/images/create?fromImage=evil.io/x",
                     b"/_ping", b"/v1.41/networks/create", b"/v1.41/exec/e1/start"]:
            method = b"\x00" if b"json" in path or b"ping" in path else b"\x01"
            write("policy", g + method + b"\xff" + path + b"\xff{}\xff\x00\xc8\xff" + inspect
                  + b"\xff\x00\xc8\xff" + inspect)


if __name__ == "__main__":
    main()
