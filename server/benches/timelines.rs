//! Query-level benchmark of the timelines, the profile page's data and search, through the
//! app's own backend code, against a seeded database (`server seed`). Run by
//! `benches/timelines` (repo root), which seeds, starts the server and also measures HTTP.
//!
//! DATABASE_URL must point at the seeded database. Prints p50/p99 per case.

use std::time::{Duration, Instant};

use app::{
    backend::{federation::client::FederationOptions, profiles, search, timeline, Backend},
    model::Cursor,
};
use sqlx::{postgres::PgPoolOptions, PgPool};
use uuid::Uuid;

const RUNS: usize = 300;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The backend logs the cause of a failed query; show it.
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("set DATABASE_URL to the seeded database"))?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(server::database::with_session_settings(url.parse()?))
        .await?;
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await?;
    let thoughts: i64 = sqlx::query_scalar("SELECT count(*) FROM thoughts")
        .fetch_one(&pool)
        .await?;
    let (heavy, follows): (Uuid, i64) = sqlx::query_as(
        "SELECT follower_id, count(*) FROM follows GROUP BY follower_id ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    println!("data: {users} users, {thoughts} thoughts; heaviest follower follows {follows}");
    println!("{:<44} {:>9} {:>9}", "case", "p50 ms", "p99 ms");

    report(
        "home timeline, first page (heaviest follower)",
        &pool,
        |pool, _| async move {
            timeline::page(
                &pool,
                Some(heavy),
                timeline::Feed::Home,
                None,
                timeline::PAGE_SIZE,
            )
            .await
            .map(drop)
        },
    )
    .await;
    // Deeper pages: the cursor of page 5.
    let mut cursor: Option<Cursor> = None;
    for _ in 0..4 {
        cursor = timeline::page(
            &pool,
            Some(heavy),
            timeline::Feed::Home,
            cursor,
            timeline::PAGE_SIZE,
        )
        .await?
        .next;
    }
    report(
        "home timeline, page 5 (keyset)",
        &pool,
        |pool, _| async move {
            timeline::page(
                &pool,
                Some(heavy),
                timeline::Feed::Home,
                cursor,
                timeline::PAGE_SIZE,
            )
            .await
            .map(drop)
        },
    )
    .await;
    report(
        "public timeline, first page (visitor)",
        &pool,
        |pool, _| async move {
            timeline::page(
                &pool,
                None,
                timeline::Feed::Public,
                None,
                timeline::PAGE_SIZE,
            )
            .await
            .map(drop)
        },
    )
    .await;
    report("tag timeline, first page", &pool, |pool, run| async move {
        let tag = format!("tag{}", run * 37 % 500);
        timeline::page(
            &pool,
            None,
            timeline::Feed::Tag(&tag),
            None,
            timeline::PAGE_SIZE,
        )
        .await
        .map(drop)
    })
    .await;
    report(
        "profile: data and first page of thoughts",
        &pool,
        move |pool, run| async move {
            let username = format!("user{}", 1 + run * 7919 % users as usize);
            profiles::by_username(&pool, "http://bench", Some(heavy), &username).await?;
            timeline::page(
                &pool,
                Some(heavy),
                timeline::Feed::Author(&username),
                None,
                timeline::PAGE_SIZE,
            )
            .await
            .map(drop)
        },
    )
    .await;
    // A username, a tag, common and rare words, a phrase, a display name, a short and an
    // absent term.
    let terms = [
        "user12",
        "tag42",
        "coffee",
        "good morning",
        "about",
        "us",
        "zzz",
        "Maria Garcia",
        "glitter party",
        "ab12cd",
    ];
    let backend = Backend::new(
        pool.clone(),
        "http://bench.test".into(),
        &FederationOptions::default(),
    )
    .map_err(anyhow::Error::msg)?;
    report("search (people, tags, thoughts)", &pool, move |_, run| {
        let backend = backend.clone();
        async move {
            search::search(&backend, Some(heavy), terms[run % terms.len()], false)
                .await
                .map(drop)
        }
    })
    .await;
    Ok(())
}

async fn report<F, Fut>(name: &str, pool: &PgPool, case: F)
where
    F: Fn(PgPool, usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), app::error::AppError>>,
{
    // Warm the caches as a running server would have them.
    for run in 0..10 {
        case(pool.clone(), run).await.expect("the case runs");
    }
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for run in 0..RUNS {
        let started = Instant::now();
        case(pool.clone(), run).await.expect("the case runs");
        times.push(started.elapsed());
    }
    times.sort();
    let at = |q: f64| {
        times[((times.len() as f64 * q) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0
    };
    println!("{name:<44} {:>9.2} {:>9.2}", at(0.50), at(0.99));
}
