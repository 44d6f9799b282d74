// berth.hpp: a header-only C++17 RAII wrapper over libberth (berth.h).
//
// Handles are move-only and free themselves; failures throw berth::error carrying the
// result code, category, HTTP status and the daemon's message; streams are ranges:
//
//   berth::client docker = berth::client::from_env();
//   std::string id = docker.container_create(R"({"Image":"busybox","Cmd":["echo","hi"]})");
//   docker.container_start(id);
//   for (const berth::frame& f : docker.container_logs(id, BERTH_STDOUT | BERTH_FOLLOW))
//       std::cout << f.data;
//   docker.container_remove(id, true);
//
// Thread safety is that of the C types: a client may be shared between threads, a
// stream is used by one thread at a time, a cancel_token may be cancelled from any
// thread.
#ifndef BERTH_HPP
#define BERTH_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth.h"

namespace berth {

// A failed libberth call.
class error : public std::runtime_error {
  public:
    error(berth_result result, berth_category category, std::uint16_t status, std::string message,
          std::string daemon_message, bool has_daemon_message)
        : std::runtime_error(std::move(message)), result_(result), category_(category), status_(status),
          daemon_message_(std::move(daemon_message)), has_daemon_message_(has_daemon_message) {}

    // The result code (never BERTH_RESULT_OK).
    berth_result result() const noexcept { return result_; }
    // The fine-grained category.
    berth_category category() const noexcept { return category_; }
    // The daemon's HTTP status, 0 when it did not answer with an error status.
    std::uint16_t status() const noexcept { return status_; }
    // The daemon's own message, verbatim ("" when there is none).
    const std::string &daemon_message() const noexcept { return daemon_message_; }
    bool has_daemon_message() const noexcept { return has_daemon_message_; }
    bool is_not_found() const noexcept { return result_ == BERTH_RESULT_NOT_FOUND; }

  private:
    berth_result result_;
    berth_category category_;
    std::uint16_t status_;
    std::string daemon_message_;
    bool has_daemon_message_;
};

namespace detail {

template <typename T, void (*Free)(T *)> struct deleter {
    void operator()(T *p) const noexcept { Free(p); }
};
template <typename T, void (*Free)(T *)> using handle = std::unique_ptr<T, deleter<T, Free>>;

// Throws the error of a failed call (and frees the C error). `e` is taken by reference
// so that `check(berth_x(..., &e), e)` reads it after the call, whatever the order in
// which the arguments are evaluated.
inline void check(berth_result r, berth_error *&e) {
    if (r == BERTH_RESULT_OK) return;
    handle<berth_error, berth_error_free> owned(e);
    if (!e) {
        throw error(r, BERTH_CATEGORY_API, 0, berth_result_name(r), "", false);
    }
    const char *dm = berth_error_daemon_message(e);
    throw error(r, static_cast<berth_category>(berth_error_category(e)), berth_error_status(e),
                berth_error_message(e), dm ? dm : "", dm != nullptr);
}

// Takes ownership of a string libberth returned.
inline std::string take(char *s) {
    handle<char, berth_string_free> owned(s);
    return s ? std::string(s) : std::string();
}

inline std::vector<const char *> c_strings(const std::vector<std::string> &v) {
    std::vector<const char *> out;
    out.reserve(v.size());
    for (const auto &s : v) out.push_back(s.c_str());
    return out;
}

inline const char *opt(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace detail

// One item of a stream; `data` is valid until the stream advances.
struct frame {
    berth_stream_kind kind;
    std::string_view data;
};

// A token that cancels streams and waits from any thread.
class cancel_token {
  public:
    cancel_token() : h_(berth_cancel_new()) {}
    void cancel() const noexcept { berth_cancel_cancel(h_.get()); }
    bool cancelled() const noexcept { return berth_cancel_is_cancelled(h_.get()); }
    const berth_cancel *get() const noexcept { return h_.get(); }

  private:
    detail::handle<berth_cancel, berth_cancel_free> h_;
};

// A stream of frames: iterate it with range-for (errors throw), or call next().
class stream {
  public:
    explicit stream(berth_stream *s) : h_(s) {}

    // The next frame, or false at the end.
    bool next(frame &out) {
        berth_frame f;
        berth_error *e = nullptr;
        berth_result r = berth_stream_next(h_.get(), &f, &e);
        if (r == BERTH_RESULT_END) return false;
        detail::check(r, e);
        out = frame{f.kind, std::string_view(reinterpret_cast<const char *>(f.data), f.len)};
        return true;
    }

    // Writes to the process's stdin (exec/attach streams opened with BERTH_STDIN).
    void write(std::string_view data) {
        berth_error *e = nullptr;
        detail::check(berth_stream_write(h_.get(), reinterpret_cast<const std::uint8_t *>(data.data()),
                                         data.size(), &e),
                      e);
    }
    // Half-closes stdin.
    void close_write() {
        berth_error *e = nullptr;
        detail::check(berth_stream_close_write(h_.get(), &e), e);
    }
    // The exit code of an exec stream's process (-1 while running).
    std::int64_t exit_code() {
        std::int64_t code = -1;
        berth_error *e = nullptr;
        detail::check(berth_stream_exit_code(h_.get(), &code, &e), e);
        return code;
    }
    // Lets `token` interrupt this stream from another thread.
    void set_cancel(const cancel_token &token) {
        berth_error *e = nullptr;
        detail::check(berth_stream_set_cancel(h_.get(), token.get(), &e), e);
    }
    // Reads everything: stdout (and JSON/data frames) into `out`, stderr into `err`.
    void collect(std::string &out, std::string &err) {
        frame f;
        while (next(f)) (f.kind == BERTH_STREAM_KIND_STDERR ? err : out).append(f.data);
    }

    class iterator {
      public:
        using value_type = frame;
        using reference = const frame &;
        using pointer = const frame *;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;

        iterator() = default;
        explicit iterator(stream *s) : s_(s) { ++*this; }
        reference operator*() const { return f_; }
        pointer operator->() const { return &f_; }
        iterator &operator++() {
            if (s_ && !s_->next(f_)) s_ = nullptr;
            return *this;
        }
        bool operator==(const iterator &o) const { return s_ == o.s_; }
        bool operator!=(const iterator &o) const { return s_ != o.s_; }

      private:
        stream *s_ = nullptr;
        frame f_{};
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

    berth_stream *get() const noexcept { return h_.get(); }

  private:
    detail::handle<berth_stream, berth_stream_free> h_;
};

// What a process run to its end printed, and its exit code.
struct output {
    std::int64_t exit_code;
    std::string out;
    std::string err;
    std::string container_id;
};

// A connection to a Docker daemon.
class client {
  public:
    // DOCKER_HOST, the current context, or the default socket.
    static client from_env() {
        berth_client *c = nullptr;
        berth_error *e = nullptr;
        detail::check(berth_client_from_env(&c, &e), e);
        return client(c);
    }
    // A client for `url` (unix://, tcp://, ssh://).
    static client connect(const std::string &url) {
        berth_client *c = nullptr;
        berth_error *e = nullptr;
        detail::check(berth_client_connect(url.c_str(), &c, &e), e);
        return client(c);
    }

    std::string ping() const { return str([&](char **o, berth_error **e) { return berth_client_ping(c(), o, e); }); }
    std::string version() const { return str([&](char **o, berth_error **e) { return berth_client_version(c(), o, e); }); }
    std::string info() const { return str([&](char **o, berth_error **e) { return berth_client_info(c(), o, e); }); }

    // Creates a container from an Engine API create body; returns its id.
    std::string container_create(const std::string &config_json, const std::string &name = "") const {
        return str([&](char **o, berth_error **e) {
            return berth_container_create(c(), detail::opt(name), config_json.c_str(), o, e);
        });
    }
    void container_start(const std::string &id) const { call(berth_container_start, id); }
    void container_stop(const std::string &id, std::int32_t timeout_s = -1) const {
        berth_error *e = nullptr;
        detail::check(berth_container_stop(c(), id.c_str(), timeout_s, &e), e);
    }
    void container_remove(const std::string &id, bool force = false, bool volumes = false) const {
        berth_error *e = nullptr;
        detail::check(berth_container_remove(c(), id.c_str(), force, volumes, &e), e);
    }
    std::int64_t container_wait(const std::string &id, const cancel_token *cancel = nullptr) const {
        std::int64_t status = -1;
        berth_error *e = nullptr;
        detail::check(berth_container_wait(c(), id.c_str(), nullptr, cancel ? cancel->get() : nullptr, &status, &e),
                      e);
        return status;
    }
    std::string container_inspect(const std::string &id) const {
        return str([&](char **o, berth_error **e) { return berth_container_inspect(c(), id.c_str(), o, e); });
    }
    std::string container_list(bool all, const std::string &filters_json = "") const {
        return str([&](char **o, berth_error **e) {
            return berth_container_list(c(), all, detail::opt(filters_json), o, e);
        });
    }
    stream container_logs(const std::string &id, std::uint32_t flags, const std::string &tail = "") const {
        return open([&](berth_stream **s, berth_error **e) {
            return berth_container_logs(c(), id.c_str(), flags, detail::opt(tail), s, e);
        });
    }
    stream container_exec(const std::string &id, const std::vector<std::string> &argv, std::uint32_t flags,
                          const std::vector<std::string> &env = {}) const {
        auto a = detail::c_strings(argv);
        auto v = detail::c_strings(env);
        return open([&](berth_stream **s, berth_error **e) {
            return berth_container_exec(c(), id.c_str(), a.data(), a.size(), v.empty() ? nullptr : v.data(),
                                        v.size(), flags, s, e);
        });
    }
    // docker-py's containers.run: create, start, wait, collect output (remove after).
    output container_run(const std::string &config_json, bool remove = true) const {
        berth_output *o = nullptr;
        berth_error *e = nullptr;
        detail::check(berth_container_run(c(), nullptr, config_json.c_str(), remove, nullptr, &o, &e), e);
        detail::handle<berth_output, berth_output_free> owned(o);
        std::size_t n = 0;
        const std::uint8_t *p = berth_output_stdout(o, &n);
        output r{berth_output_exit_code(o), std::string(reinterpret_cast<const char *>(p), n), {},
                 berth_output_container_id(o)};
        p = berth_output_stderr(o, &n);
        r.err.assign(reinterpret_cast<const char *>(p), n);
        return r;
    }

    // Pulls an image; `progress` sees every JSON progress frame and returns false to stop.
    void image_pull(const std::string &image, const std::string &tag = "",
                    std::function<bool(const frame &)> progress = {}) const {
        berth_error *e = nullptr;
        detail::check(berth_image_pull(c(), image.c_str(), detail::opt(tag), progress ? &trampoline : nullptr,
                                       progress ? &progress : nullptr, nullptr, &e),
                      e);
    }
    std::string image_inspect(const std::string &name) const {
        return str([&](char **o, berth_error **e) { return berth_image_inspect(c(), name.c_str(), o, e); });
    }

    // The daemon's events (JSON frames); set a cancel_token to end an open-ended one.
    stream events(const std::string &since = "", const std::string &until = "",
                  const std::string &filters_json = "") const {
        return open([&](berth_stream **s, berth_error **e) {
            return berth_events(c(), detail::opt(since), detail::opt(until), detail::opt(filters_json), s, e);
        });
    }

    // Any Engine API call with a JSON answer (networks, volumes, swarm, services, …).
    std::string request(const std::string &method, const std::string &path, const std::string &body = "") const {
        return str([&](char **o, berth_error **e) {
            return berth_request(c(), method.c_str(), path.c_str(),
                                 body.empty() ? nullptr : reinterpret_cast<const std::uint8_t *>(body.data()),
                                 body.size(), o, e);
        });
    }

    berth_client *get() const noexcept { return h_.get(); }

  private:
    explicit client(berth_client *c) : h_(c) {}
    berth_client *c() const noexcept { return h_.get(); }

    template <typename F> static std::string str(F f) {
        char *out = nullptr;
        berth_error *e = nullptr;
        detail::check(f(&out, &e), e);
        return detail::take(out);
    }
    template <typename F> static stream open(F f) {
        berth_stream *s = nullptr;
        berth_error *e = nullptr;
        detail::check(f(&s, &e), e);
        return stream(s);
    }
    void call(berth_result (*f)(const berth_client *, const char *, berth_error **), const std::string &id) const {
        berth_error *e = nullptr;
        detail::check(f(c(), id.c_str(), &e), e);
    }
    static std::int32_t trampoline(void *ud, const berth_frame *f) {
        auto *fn = static_cast<std::function<bool(const frame &)> *>(ud);
        try {
            frame fr{f->kind, std::string_view(reinterpret_cast<const char *>(f->data), f->len)};
            return (*fn)(fr) ? 0 : 1;
        } catch (...) {
            return 1;  // never unwind through C
        }
    }

    detail::handle<berth_client, berth_client_free> h_;
};

}  // namespace berth

#endif
