//! librdkafka's in-process mock cluster with the consumer group's initial
//! rebalance delay at 0, so that group members join at once. rdkafka's
//! `MockCluster` wrapper hides the handle that sets the delay, so the
//! cluster is made here through the C API. One cluster per binary.

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::ClientConfig;

pub struct Cluster {
    pub bootstrap: String,
    mock: *mut rdkafka_sys::RDKafkaMockCluster,
    _owner: BaseProducer,
}

// The cluster lives as long as the test binary and is only used through
// librdkafka's thread-safe mock API.
unsafe impl Sync for Cluster {}
unsafe impl Send for Cluster {}

pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let owner: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .create()
            .expect("owner client");
        unsafe {
            let mock = rdkafka_sys::rd_kafka_mock_cluster_new(owner.client().native_ptr(), 1);
            assert!(!mock.is_null(), "mock cluster");
            rdkafka_sys::rd_kafka_mock_group_initial_rebalance_delay_ms(mock, 0);
            let bootstrap = CStr::from_ptr(rdkafka_sys::rd_kafka_mock_cluster_bootstraps(mock))
                .to_string_lossy()
                .into_owned();
            Cluster {
                bootstrap,
                mock,
                _owner: owner,
            }
        }
    })
}

pub fn create_topic(name: &str, partitions: i32) {
    let c = CString::new(name).unwrap();
    let err = unsafe {
        rdkafka_sys::rd_kafka_mock_topic_create(cluster().mock, c.as_ptr(), partitions, 1)
    };
    assert_eq!(
        err,
        rdkafka_sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
    );
}

/// Makes the cluster answer the next `n` requests of Kafka API `api_key`
/// (8 is OffsetCommit) with `error`.
#[allow(dead_code)]
pub fn fail_requests(api_key: i16, n: usize, error: rdkafka_sys::rd_kafka_resp_err_t) {
    let errors = vec![error; n];
    unsafe {
        rdkafka_sys::rd_kafka_mock_push_request_errors_array(
            cluster().mock,
            api_key,
            n,
            errors.as_ptr(),
        );
    }
}

/// The partitions of `topic` whose lag a route instance's `observer`
/// reports: those the group gave it.
fn owned(observer: &earshot::route::exposed::Observer, topic: &str) -> usize {
    use earshot::pipeline::exposition::Exposed;
    let prefix = format!("earshot_route_consumer_lag{{topic=\"{topic}\"");
    observer
        .metrics()
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .count()
}

/// Waits until each route instance's observer owns its number of
/// partitions of `topic` (at most 30 s).
#[allow(dead_code)]
pub async fn wait_owned(observers: &[(&earshot::route::exposed::Observer, usize)], topic: &str) {
    let started = std::time::Instant::now();
    loop {
        let got: Vec<usize> = observers.iter().map(|(o, _)| owned(o, topic)).collect();
        let want: Vec<usize> = observers.iter().map(|(_, n)| *n).collect();
        if got == want {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{topic}: the instances own {got:?} partitions, not {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
