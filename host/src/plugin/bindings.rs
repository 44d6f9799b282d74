//! Host bindings of the `raw-plugin` world (wasmtime's `bindgen!` over `wit/`).

#![allow(
    missing_docs,
    reason = "generated from the WIT, whose doc comments it carries"
)]
#![allow(
    missing_debug_implementations,
    reason = "generated types; the WIT records derive Debug already"
)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "raw-plugin",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "berth:engine/transport.incoming-body": super::wire::IncomingBody,
        "berth:engine/transport.outgoing-request": super::wire::OutgoingRequest,
        "berth:engine/transport.duplex": super::wire::DuplexConn,
    },
});
