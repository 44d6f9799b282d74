// A Go program on libberth through cgo: lists containers, runs one, streams its logs
// (pull-style, following until it exits), pulls an image with a progress callback
// (a Go function behind a C trampoline), and checks a not-found error. Exits non-zero
// on the first mismatch.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../../include
#cgo LDFLAGS: -lberth -lpthread
#include <stdlib.h>
#include "berth.h"

extern int32_t goProgress(void *user_data, berth_frame *frame);
static int32_t progress_trampoline(void *ud, const berth_frame *f) {
	return goProgress(ud, (berth_frame *)f);
}
static berth_frame_callback progress_callback(void) { return progress_trampoline; }
*/
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
	"strings"
	"unsafe"
)

// berthError turns a failed call into a Go error and frees the C error.
func berthError(r C.berth_result, e *C.berth_error) error {
	if r == C.BERTH_RESULT_OK {
		return nil
	}
	defer C.berth_error_free(e)
	if e == nil {
		return fmt.Errorf("%s", C.GoString(C.berth_result_name(C.uint32_t(r))))
	}
	return fmt.Errorf("%s (status %d): %s", C.GoString(C.berth_result_name(C.uint32_t(r))),
		int(C.berth_error_status(e)), C.GoString(C.berth_error_message(e)))
}

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
}

func expect(ok bool, format string, args ...interface{}) {
	if !ok {
		fmt.Fprintf(os.Stderr, "expectation failed: "+format+"\n", args...)
		os.Exit(1)
	}
}

// takeString copies and frees a string libberth returned.
func takeString(s *C.char) string {
	defer C.berth_string_free(s)
	return C.GoString(s)
}

type progress struct{ frames int }

//export goProgress
func goProgress(userData unsafe.Pointer, frame *C.berth_frame) C.int32_t {
	h := *(*cgo.Handle)(userData)
	p := h.Value().(*progress)
	data := C.GoStringN((*C.char)(unsafe.Pointer(frame.data)), C.int(frame.len))
	if frame.kind != C.BERTH_STREAM_KIND_JSON || !strings.HasPrefix(data, "{") {
		return 1
	}
	p.frames++
	return 0
}

func main() {
	var client *C.berth_client
	var e *C.berth_error
	must(berthError(C.berth_client_from_env(&client, &e), e), "from_env")
	defer C.berth_client_free(client)

	// list
	filters := C.CString(`{"label":["berth.test=1"]}`)
	defer C.free(unsafe.Pointer(filters))
	var list *C.char
	must(berthError(C.berth_container_list(client, true, filters, &list, &e), e), "list")
	expect(strings.HasPrefix(takeString(list), "["), "list is not an array")

	// run: create, start, follow the logs until the container exits, wait, remove
	config := C.CString(`{"Image":"busybox:berth-test","Cmd":["sh","-c","for i in 1 2 3; do echo go$i; sleep 0.2; done; echo bye >&2"],"Labels":{"berth.test":"1","berth.capi":"1"}}`)
	defer C.free(unsafe.Pointer(config))
	var id *C.char
	must(berthError(C.berth_container_create(client, nil, config, &id, &e), e), "create")
	defer C.berth_string_free(id)
	must(berthError(C.berth_container_start(client, id, &e), e), "start")
	var stream *C.berth_stream
	must(berthError(C.berth_container_logs(client, id, C.BERTH_STDOUT|C.BERTH_STDERR|C.BERTH_FOLLOW, nil, &stream, &e), e), "logs")
	var stdout, stderr strings.Builder
	for {
		var frame C.berth_frame
		r := C.berth_stream_next(stream, &frame, &e)
		if r == C.BERTH_RESULT_END {
			break
		}
		must(berthError(r, e), "stream_next")
		data := C.GoStringN((*C.char)(unsafe.Pointer(frame.data)), C.int(frame.len))
		if frame.kind == C.BERTH_STREAM_KIND_STDERR {
			stderr.WriteString(data)
		} else {
			stdout.WriteString(data)
		}
	}
	C.berth_stream_free(stream)
	expect(stdout.String() == "go1\ngo2\ngo3\n", "logs stdout %q", stdout.String())
	expect(stderr.String() == "bye\n", "logs stderr %q", stderr.String())
	var status C.int64_t
	must(berthError(C.berth_container_wait(client, id, nil, nil, &status, &e), e), "wait")
	expect(status == 0, "exit status %d", status)
	must(berthError(C.berth_container_remove(client, id, false, true, &e), e), "remove")

	// pull with a Go progress callback; the handle lives in C memory
	p := &progress{}
	h := cgo.NewHandle(p)
	defer h.Delete()
	hp := (*cgo.Handle)(C.malloc(C.size_t(unsafe.Sizeof(h))))
	defer C.free(unsafe.Pointer(hp))
	*hp = h
	image := C.CString("127.0.0.1:5000/busybox")
	tag := C.CString("berth-test")
	defer C.free(unsafe.Pointer(image))
	defer C.free(unsafe.Pointer(tag))
	must(berthError(C.berth_image_pull(client, image, tag, C.progress_callback(), unsafe.Pointer(hp), nil, &e), e), "pull")
	expect(p.frames >= 2, "pull progress frames %d", p.frames)

	// a not-found error: result code, status, daemon message
	missing := C.CString("berth-go-no-such-container")
	defer C.free(unsafe.Pointer(missing))
	var json *C.char
	r := C.berth_container_inspect(client, missing, &json, &e)
	expect(r == C.BERTH_RESULT_NOT_FOUND && e != nil, "inspect missing -> %d", r)
	expect(C.berth_error_status(e) == 404, "status %d", C.berth_error_status(e))
	expect(strings.Contains(C.GoString(C.berth_error_daemon_message(e)), "No such container"), "daemon message")
	C.berth_error_free(e)

	fmt.Println("go: ok")
}
