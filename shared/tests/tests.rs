//! imgdup-shared's integration tests against the lab's real daemons: one binary.
//! (`parser_props/` is not here: it compiles into the lib's unit tests.)

mod inventory_containerd;
mod inventory_docker;
