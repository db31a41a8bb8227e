//! Waiting for the signal to stop: Ctrl-C (SIGINT) or SIGTERM.

use tokio::signal::unix::{signal, SignalKind};

pub async fn requested() {
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(stream) => stream,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM; only Ctrl-C will stop the server");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted; shutting down"),
        _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down"),
    }
}
