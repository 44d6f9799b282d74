// The C++ RAII wrapper (include/berth.hpp) against the real daemon: info, run, logs as
// a range, exec with stdin, pull with a progress lambda, events cancelled from another
// thread, and errors as exceptions. Exits non-zero on the first mismatch.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "berth.hpp"

#define EXPECT(cond)                                                         \
    do {                                                                     \
        if (!(cond)) {                                                       \
            std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            std::exit(1);                                                    \
        }                                                                    \
    } while (0)

static const char *kLabels = R"("Labels":{"berth.test":"1","berth.capi":"1"})";

int main() {
    try {
        berth::client docker = berth::client::from_env();
        EXPECT(docker.ping().rfind("1.", 0) == 0);
        EXPECT(docker.info().find("\"ServerVersion\"") != std::string::npos);

        // run: output and exit code, container removed.
        berth::output out = docker.container_run(std::string(R"({"Image":"busybox:berth-test","Cmd":["sh","-c","echo cpp; echo e >&2; exit 2"],)") +
                                                 kLabels + "}");
        EXPECT(out.out == "cpp\n" && out.err == "e\n" && out.exit_code == 2);

        // create/start/wait, then the logs as a range.
        std::string id = docker.container_create(
            std::string(R"({"Image":"busybox:berth-test","Cmd":["sh","-c","for i in 1 2 3; do echo line$i; done"],)") +
            kLabels + "}");
        docker.container_start(id);
        EXPECT(docker.container_wait(id) == 0);
        std::string logs;
        for (const berth::frame &f : docker.container_logs(id, BERTH_STDOUT)) {
            EXPECT(f.kind == BERTH_STREAM_KIND_STDOUT);
            logs.append(f.data);
        }
        EXPECT(logs == "line1\nline2\nline3\n");
        docker.container_remove(id);

        // exec with stdin in a running container.
        id = docker.container_create(std::string(R"({"Image":"busybox:berth-test","Cmd":["sleep","60"],)") +
                                     kLabels + "}");
        docker.container_start(id);
        berth::stream exec = docker.container_exec(id, {"sh", "-c", "wc -c; exit 5"}, BERTH_STDIN);
        exec.write("twelve bytes");
        exec.close_write();
        std::string o, e;
        exec.collect(o, e);
        EXPECT(o.find("12") != std::string::npos);
        EXPECT(exec.exit_code() == 5);

        // errors are exceptions with the daemon's details.
        try {
            docker.container_inspect("berth-cpp-no-such-container");
            EXPECT(false);
        } catch (const berth::error &err) {
            EXPECT(err.is_not_found() && err.status() == 404 && err.category() == BERTH_CATEGORY_NOT_FOUND);
            EXPECT(err.daemon_message().find("No such container") != std::string::npos);
        }

        // events, cancelled from another thread.
        berth::cancel_token token;
        berth::stream events = docker.events("", "", R"({"type":["container"]})");
        events.set_cancel(token);
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            token.cancel();
        });
        try {
            for (const berth::frame &f : events) (void)f;
            EXPECT(false);
        } catch (const berth::error &err) {
            EXPECT(err.result() == BERTH_RESULT_CANCELLED);
        }
        canceller.join();
        docker.container_remove(id, true);

        // pull with a progress lambda.
        int frames = 0;
        docker.image_pull("127.0.0.1:5000/busybox", "berth-test", [&](const berth::frame &f) {
            EXPECT(f.kind == BERTH_STREAM_KIND_JSON && f.data.front() == '{');
            frames++;
            return true;
        });
        EXPECT(frames >= 2);

        // the generic call.
        EXPECT(docker.request("GET", "/volumes").find("\"Volumes\"") != std::string::npos);
    } catch (const berth::error &err) {
        std::fprintf(stderr, "unexpected berth::error %u: %s\n", static_cast<unsigned>(err.result()), err.what());
        return 1;
    }
    std::printf("cpp: ok\n");
    return 0;
}
