//! Push-style stream decoders (placeholder: being written).
