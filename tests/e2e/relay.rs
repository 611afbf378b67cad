//! A TCP relay in front of the broker that a test can cut and restore, to
//! play a broker outage without stopping the broker (an in-memory broker
//! would forget its topics).
//!
//! The broker advertises the relay's address, so every connection a client
//! makes, bootstrap or not, goes through it. Cutting closes every live
//! connection and closes new ones as soon as they are accepted, which is
//! what a client sees when a broker host goes down and comes back with the
//! same address. It runs on its own runtime thread so blocking tests can use
//! it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Relay {
    pub addr: SocketAddr,
    cut: watch::Sender<bool>,
    /// Connections accepted and closed at once while cut.
    refused: Arc<AtomicUsize>,
    /// Live connections closed by a cut.
    severed: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Relay {
    /// Listens on a free port of 127.0.0.1; forwards to `upstream`, which
    /// need not be up yet.
    pub fn start(upstream: SocketAddr) -> Relay {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the relay");
        std_listener.set_nonblocking(true).expect("non-blocking");
        let addr = std_listener.local_addr().expect("relay address");
        let (cut, cut_rx) = watch::channel(false);
        let refused = Arc::new(AtomicUsize::new(0));
        let severed = Arc::new(AtomicUsize::new(0));
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let (r, s) = (refused.clone(), severed.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("relay runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                tokio::select! {
                    _ = accept_loop(listener, upstream, cut_rx, r, s) => {}
                    _ = stop_rx => {}
                }
            });
        });
        Relay {
            addr,
            cut,
            refused,
            severed,
            stop: Some(stop),
        }
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }

    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    pub fn severed(&self) -> usize {
        self.severed.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    cut: watch::Receiver<bool>,
    refused: Arc<AtomicUsize>,
    severed: Arc<AtomicUsize>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if *cut.borrow() {
            refused.fetch_add(1, Ordering::SeqCst);
            drop(client);
            continue;
        }
        tokio::spawn(forward(client, upstream, cut.clone(), severed.clone()));
    }
}

async fn forward(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut cut: watch::Receiver<bool>,
    severed: Arc<AtomicUsize>,
) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cut.wait_for(|c| *c) => {
            severed.fetch_add(1, Ordering::SeqCst);
        }
    }
    // Dropping both ends closes them.
}
