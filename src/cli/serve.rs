//! `earshot serve`: the workspace, until a shutdown signal.
//!
//! Embedded (the sink is not Kafka): the pipeline's sources, routing and
//! the workspace in one process, on the store in the state directory. On
//! Kafka: no sources and no routing (those are `run`'s and `route`'s); the
//! workspace mirrors route's topics and writes people's changes to them,
//! and with `[notify]` it sends alerts alongside `earshot route`'s
//! notifiers ([`crate::notify::kafka`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::{Pipeline, SinkConfig};
use crate::pipeline::{run, Engine, OpenError};
use crate::route::decider::Clock;
use crate::serve::auth::{Keys, RateLimit};
use crate::serve::config::ServeConfig;
use crate::serve::desk::Desk;
use crate::serve::http::App;
use crate::serve::kafka::{Topics, Writer};
use crate::serve::log::LogError;
use std::sync::atomic::AtomicBool;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}: serve needs a [route] section: the queues feedback is routed to, and the rules that pick one")]
    NoRoute(String),
    #[error("{file}: {}", .problems.iter().map(|(k, m)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    Unready {
        file: String,
        problems: Vec<(String, String)>,
    },
    #[error("starting the pipeline: {0}")]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] LogError),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
    #[error("flushing the sink at shutdown: {0}")]
    Flush(#[from] crate::sink::SinkError),
    #[error("delivering notifications: {0}")]
    Notify(#[from] crate::notify::kafka::NotifyKafkaError),
}

/// What `serve` was asked to do.
pub struct Options {
    /// Overrides `[serve] listen`.
    pub listen: Option<String>,
    /// How long to wait for polls in flight at shutdown.
    pub grace: Duration,
    /// `EARSHOT_SESSION_KEY` and `EARSHOT_API_TOKEN`.
    pub session_key: Option<String>,
    pub api_token: Option<String>,
}

/// Builds the workspace of `pipeline`: engine, desk and app, not yet
/// listening (tests start it on a port of their own).
pub fn open(pipeline: Pipeline, opts: &Options) -> Result<(Arc<App>, Clock), ServeError> {
    let file = pipeline.file.display().to_string();
    let route = pipeline
        .route
        .clone()
        .ok_or(ServeError::NoRoute(file.clone()))?;
    let cfg: ServeConfig = pipeline.serve.clone().unwrap_or_default();
    let problems = cfg.unready();
    if !problems.is_empty() {
        return Err(ServeError::Unready { file, problems });
    }
    if cfg.users.is_empty() && opts.api_token.is_none() {
        tracing::warn!(
            "No [[serve.users]] and no EARSHOT_API_TOKEN: nobody can log in to the workspace."
        );
    }
    if opts.session_key.is_none() {
        tracing::info!("EARSHOT_SESSION_KEY is not set: sessions end when the process does, and each instance has its own.");
    }
    let kafka = match &pipeline.sink {
        SinkConfig::Kafka(k) => Some(Writer {
            topics: Topics::of(&route, k, &cfg.activity_topic),
            ready: Arc::new(AtomicBool::new(false)),
        }),
        SinkConfig::Jsonl(_) => None,
    };
    let desk = Arc::new(match kafka {
        Some(_) => Desk::mirror(route),
        None => Desk::open(route, &pipeline.state_dir)?,
    });
    // Set before the catch-up below, so that the alerts it raises are sent.
    let alerts = match (&kafka, &pipeline.notify) {
        (None, Some(_)) => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            desk.notify_to(tx);
            Some(rx)
        }
        // On Kafka, the notifier follows the alerts topic ([`serve`]).
        _ => {
            drop(desk.take_backlog());
            None
        }
    };
    if let SinkConfig::Jsonl(Some(path)) = &pipeline.sink {
        // What a backfill or run of this pipeline delivered before.
        let n = desk.catch_up(path, &pipeline.state_dir)?;
        if n > 0 {
            tracing::info!(records = n, path = %path.display(), "Took in what the sink already held.");
        }
    }
    let mut engine = Engine::open(pipeline)?;
    if kafka.is_none() {
        engine.sink.set_tap(desk.clone());
    }
    let per_hour = cfg.public_form.as_ref().map_or(1, |f| f.per_hour);
    let metrics = crate::serve::metrics::WorkspaceMetrics::register(&engine.metrics);
    let app = Arc::new(App {
        metrics,
        engine: Arc::new(engine),
        desk,
        keys: Keys::new(opts.session_key.as_deref(), opts.api_token.as_deref()),
        limiter: Mutex::new(RateLimit::new(per_hour)),
        logins: Mutex::new(RateLimit::new(crate::serve::http::LOGINS_PER_HOUR)),
        cfg,
        kafka,
        alerts: Mutex::new(alerts),
    });
    Ok((app, Clock::start()))
}

/// Runs everything until `shutdown`: the sources, the deadline clock and
/// the web server; then flushes the sink.
pub async fn serve(
    pipeline: Pipeline,
    opts: Options,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let (app, clock) = open(pipeline, &opts)?;
    let addr = opts
        .listen
        .clone()
        .unwrap_or_else(|| app.cfg.listen.clone());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
    tracing::info!(addr = %listener.local_addr()?, "Serving the workspace.");
    let web = tokio::spawn(crate::serve::http::serve(
        app.clone(),
        listener,
        shutdown.clone(),
    ));
    let flushed = match start_kafka(&app, shutdown.clone()) {
        // On Kafka, sources and routing are other processes'.
        Some(follower) => {
            let notifier = start_kafka_notifier(&app, shutdown.clone())?;
            shutdown.cancelled().await;
            follower.await.ok();
            if let Some(n) = notifier {
                n.await.expect("notifier watch")?;
            }
            app.engine.sink.flush_within(opts.grace).await
        }
        None => {
            let deadlines = tokio::spawn(crate::serve::deadlines(
                app.desk.clone(),
                clock,
                shutdown.clone(),
            ));
            let notifier = start_notifier(&app, clock, shutdown.clone());
            let flushed = run::run(app.engine.clone(), shutdown, opts.grace).await;
            deadlines.await.ok();
            if let Some(n) = notifier {
                n.await.ok();
            }
            flushed
        }
    };
    if let Ok(r) = web.await {
        r?;
    }
    flushed?;
    Ok(())
}

/// Embedded with `[notify]`: starts delivering the desk's alerts, those
/// stored but not delivered before a restart first.
pub fn start_notifier(
    app: &Arc<App>,
    clock: Clock,
    shutdown: CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let cfg = app.engine.pipeline.notify.clone()?;
    let rx = app.alerts.lock().expect("alerts lock").take()?;
    let sender = crate::notify::send::Sender::new(app.engine.client.clone());
    let backlog = app.desk.take_backlog();
    let store: Arc<dyn crate::notify::run::Store> = app.desk.clone();
    Some(tokio::spawn(crate::notify::run::run(
        cfg, sender, backlog, rx, store, clock, shutdown,
    )))
}

/// On Kafka with `[notify]`: joins the notifiers of `earshot route` (one
/// consumer group: each alert is sent once, by whichever instance owns its
/// partition). A notifier that stops stops the workspace too.
pub fn start_kafka_notifier(
    app: &Arc<App>,
    shutdown: CancellationToken,
) -> Result<Option<tokio::task::JoinHandle<Result<(), ServeError>>>, ServeError> {
    let instance = format!("serve-{}", std::process::id());
    let task = crate::notify::kafka::spawn(&app.engine.pipeline, &instance, shutdown.clone())?;
    Ok(task.map(|task| {
        tokio::spawn(async move {
            let r = task.await.expect("notifier panicked");
            shutdown.cancel();
            Ok(r?)
        })
    }))
}

/// On Kafka, starts following route's topics on a thread of its own.
pub fn start_kafka(
    app: &Arc<App>,
    shutdown: CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let writer = app.kafka.as_ref()?;
    let SinkConfig::Kafka(k) = &app.engine.pipeline.sink else {
        return None;
    };
    let instance = format!("earshot-serve-{}", std::process::id());
    let cfg = crate::route::consumer::consumer_config(k, &instance);
    let (topics, desk, ready) = (
        writer.topics.clone(),
        app.desk.clone(),
        writer.ready.clone(),
    );
    Some(tokio::task::spawn_blocking(move || {
        crate::serve::kafka::follow(cfg, topics, desk, ready, shutdown)
    }))
}
