//! Linking a typed plugin with the engine component, in-process (no CLI).
//!
//! A plugin of world `plugin` (e.g. Python via componentize-py) imports the typed area
//! interfaces (`berth:engine/containers`, …). The engine component (world `engine`,
//! berth-core compiled to wasm) exports them and imports only `transport`. Plugging the
//! engine's exports into the plugin's imports (wac-graph, the library behind `wac
//! plug`) gives one component that imports only `transport` (+ WASI) and exports
//! `entry`: the host runs it like a raw plugin, and every request the engine makes on
//! the plugin's behalf passes the policy.

use std::collections::BTreeSet;
use std::fmt;

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, PlugError, plug};

/// The interface every plugin exports.
const ENTRY: &str = "berth:engine/entry@";

/// Why a typed plugin could not be linked with the engine component.
#[derive(Debug)]
pub enum LinkError {
    /// The plugin or the engine is not a WebAssembly component wac can read.
    NotAComponent {
        /// `plugin` or `engine`.
        which: &'static str,
        /// What the reader said.
        message: String,
    },
    /// The plugin does not export `berth:engine/entry`.
    NoEntry,
    /// The plugin imports none of the engine's interfaces: nothing to link (a raw
    /// plugin needs no engine).
    NothingToLink,
    /// Imports neither the engine nor the host provides (the host gives `transport`,
    /// `types` and WASI).
    Unsatisfied {
        /// `plugin` or `engine`.
        which: &'static str,
        /// The import names.
        imports: Vec<String>,
    },
    /// Building or encoding the composition failed.
    Compose(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NotAComponent { which, message } => {
                write!(f, "the {which} is not a WebAssembly component: {message}")
            }
            LinkError::NoEntry => f.write_str(
                "the plugin does not export berth:engine/entry (build it for world `plugin`)",
            ),
            LinkError::NothingToLink => f.write_str(
                "the plugin imports none of the engine component's interfaces; nothing to link",
            ),
            LinkError::Unsatisfied { which, imports } => write!(
                f,
                "the {which} imports what neither the engine component nor the host provides: {}",
                imports.join(", ")
            ),
            LinkError::Compose(m) => write!(f, "linking the plugin with the engine failed: {m}"),
        }
    }
}

impl std::error::Error for LinkError {}

/// Names without their `@version`.
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(n, _)| n)
}

/// What the host itself provides: the wire and WASI.
fn host_provided(name: &str) -> bool {
    matches!(
        unversioned(name),
        "berth:engine/transport" | "berth:engine/types"
    ) || name.starts_with("wasi:")
}

/// A reader's error about `which`.
fn read<E: fmt::Display>(which: &'static str) -> impl FnOnce(E) -> LinkError {
    move |e| LinkError::NotAComponent {
        which,
        message: format!("{e:#}"),
    }
}

/// A composition error.
fn compose<E: fmt::Display>(e: E) -> LinkError {
    LinkError::Compose(format!("{e:#}"))
}

/// Links `plugin` (imports the typed interfaces, exports `entry`) with `engine` (exports
/// them, imports `transport`): the composed component's bytes. It imports only what the
/// host provides (`transport`, `types`, WASI) and exports the plugin's exports.
pub fn link_with_engine(plugin: &[u8], engine: &[u8]) -> Result<Vec<u8>, LinkError> {
    let mut graph = CompositionGraph::new();
    let plugin_pkg = Package::from_bytes("berth:plugin", None, plugin.to_vec(), graph.types_mut())
        .map_err(read("plugin"))?;
    let engine_pkg = Package::from_bytes(
        "berth:engine-component",
        None,
        engine.to_vec(),
        graph.types_mut(),
    )
    .map_err(read("engine"))?;

    let (plugin_imports, plugin_exports) = {
        let world = &graph.types()[plugin_pkg.ty()];
        let imports: Vec<String> = world.imports.keys().cloned().collect();
        let exports: Vec<String> = world.exports.keys().cloned().collect();
        (imports, exports)
    };
    let (engine_imports, engine_exports) = {
        let world = &graph.types()[engine_pkg.ty()];
        let imports: Vec<String> = world.imports.keys().cloned().collect();
        let exports: BTreeSet<String> = world
            .exports
            .keys()
            .map(|k| unversioned(k).to_owned())
            .collect();
        (imports, exports)
    };
    if !plugin_exports.iter().any(|e| e.starts_with(ENTRY)) {
        return Err(LinkError::NoEntry);
    }
    let engine_extra: Vec<String> = engine_imports
        .into_iter()
        .filter(|i| !host_provided(i))
        .collect();
    if !engine_extra.is_empty() {
        return Err(LinkError::Unsatisfied {
            which: "engine",
            imports: engine_extra,
        });
    }
    let plugin_extra: Vec<String> = plugin_imports
        .iter()
        .filter(|i| !host_provided(i) && !engine_exports.contains(unversioned(i)))
        .cloned()
        .collect();
    if !plugin_extra.is_empty() {
        return Err(LinkError::Unsatisfied {
            which: "plugin",
            imports: plugin_extra,
        });
    }

    let plugin_id = graph.register_package(plugin_pkg).map_err(compose)?;
    let engine_id = graph.register_package(engine_pkg).map_err(compose)?;
    match plug(&mut graph, vec![engine_id], plugin_id) {
        Ok(()) => {}
        Err(PlugError::NoPlugHappened) => return Err(LinkError::NothingToLink),
        Err(PlugError::GraphError { source }) => return Err(compose(source)),
    }
    graph.encode(EncodeOptions::default()).map_err(compose)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_component() {
        let e = link_with_engine(b"not wasm", b"\0asm").expect_err("garbage");
        assert!(
            matches!(
                e,
                LinkError::NotAComponent {
                    which: "plugin",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn host_provides_the_wire_and_wasi_only() {
        assert!(host_provided("berth:engine/transport@0.1.0"));
        assert!(host_provided("berth:engine/types@0.1.0"));
        assert!(host_provided("wasi:io/streams@0.2.9"));
        assert!(!host_provided("berth:engine/containers@0.1.0"));
        assert!(!host_provided("acme:evil/net"));
    }
}
