//! testkit's integration tests: one binary, so the support module compiles once.

mod apiserver_support;

mod apiserver_binary;
mod apiserver_faults;
mod apiserver_kube;
mod apiserver_kubectl;
mod gen_store;
mod k3s;
