//! Fault injection per endpoint class: added latency, error answers (500,
//! 429 with Retry-After, ...) for a share or a count of requests, and
//! watches that end after N events.

use std::time::Duration;

use super::config::FaultRule;
use super::requestinfo::RequestInfo;
use super::status::ApiError;

#[derive(Debug, Default)]
struct RuleState {
    seen: u64,
    fired: u64,
}

#[derive(Debug)]
pub struct Faults {
    rules: Vec<(FaultRule, RuleState)>,
    rng: u64,
}

#[derive(Debug, Default)]
pub struct Decision {
    pub latency: Duration,
    pub error: Option<ApiError>,
    pub drop_after_events: Option<usize>,
}

fn matches(rule: &FaultRule, info: &RequestInfo) -> bool {
    let endpoint_ok = match rule.endpoint.as_deref() {
        None | Some("any") | Some("*") => true,
        Some(e) => e == info.endpoint_class(),
    };
    let resource_ok = match rule.resource.as_deref() {
        None | Some("*") => true,
        Some(r) => r == info.resource || r == info.resource_path(),
    };
    let ns_ok = rule
        .namespace
        .as_deref()
        .is_none_or(|n| n == info.namespace);
    endpoint_ok && resource_ok && ns_ok
}

impl Faults {
    pub fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        Self {
            rules: rules
                .into_iter()
                .map(|r| (r, RuleState::default()))
                .collect(),
            rng: seed.max(1),
        }
    }

    /// xorshift64*, in [0, 1).
    fn next_f64(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn decide(&mut self, info: &RequestInfo) -> Decision {
        let mut d = Decision::default();
        for i in 0..self.rules.len() {
            if !matches(&self.rules[i].0, info) {
                continue;
            }
            let rule = self.rules[i].0.clone();
            d.latency += Duration::from_secs_f64(rule.latency_seconds.max(0.0));
            if let Some(n) = rule.drop_after_events
                && info.verb == "watch"
            {
                // `skip` and `times` count dropped watches as they count errors.
                let st = &mut self.rules[i].1;
                st.seen += 1;
                if st.seen > rule.skip && rule.times.is_none_or(|t| st.fired < t) {
                    st.fired += 1;
                    d.drop_after_events = Some(d.drop_after_events.map_or(n, |m: usize| m.min(n)));
                }
                if rule.code.is_none() {
                    continue;
                }
            }
            let Some(code) = rule.code else { continue };
            if d.error.is_some() {
                continue;
            }
            let roll = self.next_f64();
            let st = &mut self.rules[i].1;
            st.seen += 1;
            if st.seen <= rule.skip || rule.times.is_some_and(|t| st.fired >= t) {
                continue;
            }
            if roll < rule.rate.unwrap_or(1.0) {
                st.fired += 1;
                d.error = Some(ApiError::injected(
                    code,
                    rule.retry_after_seconds.unwrap_or(1),
                ));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn skip_times_and_classes() {
        let rule = FaultRule {
            endpoint: Some("create".into()),
            resource: Some("pods".into()),
            code: Some(429),
            skip: 1,
            times: Some(2),
            retry_after_seconds: Some(3),
            ..FaultRule::default()
        };
        let mut f = Faults::new(vec![rule], 7);
        let create =
            super::super::requestinfo::parse(&Method::POST, "/api/v1/namespaces/d/pods", "");
        let list = super::super::requestinfo::parse(&Method::GET, "/api/v1/namespaces/d/pods", "");
        let fired: Vec<bool> = (0..5).map(|_| f.decide(&create).error.is_some()).collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(f.decide(&list).error.is_none());
        let mut f = Faults::new(
            vec![FaultRule {
                endpoint: Some("create".into()),
                code: Some(429),
                retry_after_seconds: Some(3),
                ..FaultRule::default()
            }],
            7,
        );
        assert_eq!(f.decide(&create).error.unwrap().retry_after, Some(3));
    }

    #[test]
    fn dropped_watches_obey_skip_and_times() {
        let mut f = Faults::new(
            vec![FaultRule {
                endpoint: Some("watch".into()),
                drop_after_events: Some(3),
                skip: 1,
                times: Some(1),
                ..FaultRule::default()
            }],
            7,
        );
        let watch = super::super::requestinfo::parse(&Method::GET, "/api/v1/pods", "watch=true");
        let drops: Vec<Option<usize>> =
            (0..4).map(|_| f.decide(&watch).drop_after_events).collect();
        assert_eq!(drops, [None, Some(3), None, None]);
    }

    #[test]
    fn rate_is_a_share() {
        let rule = FaultRule {
            code: Some(500),
            rate: Some(0.3),
            ..FaultRule::default()
        };
        let mut f = Faults::new(vec![rule], 42);
        let get = super::super::requestinfo::parse(&Method::GET, "/api/v1/nodes/n", "");
        let n = (0..1000).filter(|_| f.decide(&get).error.is_some()).count();
        assert!((200..400).contains(&n), "{n}");
    }
}
