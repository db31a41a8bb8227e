//! `server seed`: fills a database with a realistic graph for benchmarks: users, a year of
//! thoughts, a skewed follow graph (a few accounts with thousands of followers), likes,
//! boosts and tags. Generated inside PostgreSQL, so a million thoughts take a minute or two.

use std::time::Instant;

use anyhow::{bail, Context};
use sqlx::PgPool;

#[derive(Debug, Clone, clap::Args)]
pub struct SeedOptions {
    /// Accounts to create (user1 … userN).
    #[arg(long, default_value_t = 10_000)]
    pub users: i32,
    /// Thoughts, spread over the past year.
    #[arg(long, default_value_t = 1_000_000)]
    pub thoughts: i32,
    /// Follows per account on average; targets are skewed toward low-numbered accounts.
    #[arg(long, default_value_t = 150)]
    pub follows: i32,
    /// Likes in all.
    #[arg(long, default_value_t = 2_000_000)]
    pub likes: i32,
    /// Boosts in all.
    #[arg(long, default_value_t = 200_000)]
    pub boosts: i32,
    /// Distinct tags.
    #[arg(long, default_value_t = 500)]
    pub tags: i32,
}

pub async fn seed(pool: &PgPool, options: &SeedOptions) -> anyhow::Result<()> {
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(pool)
        .await?;
    if existing > 0 {
        bail!("the database already has {existing} users; seed an empty one (a new DATA_DIR or database)");
    }
    let steps: [(&str, String); 9] = [
        ("users", format!(
            "INSERT INTO users (username, email, display_name, bio, created_at)
             SELECT 'user' || n, 'user' || n || '@seed.example',
                    {first}[1 + n % {first_len}] || ' ' || {last}[1 + (n / {first_len}) % {last_len}],
                    'Seeded account number ' || n,
                    now() - interval '400 days' + n * interval '1 second'
               FROM generate_series(1, {users}) n",
            users = options.users,
            first = sql_array(FIRST_NAMES),
            first_len = FIRST_NAMES.len(),
            last = sql_array(LAST_NAMES),
            last_len = LAST_NAMES.len(),
        )),
        ("numbering", "CREATE TEMP TABLE seed_users AS
             SELECT substring(username from 5)::int AS n, id FROM users WHERE username ~ '^user[0-9]+$';
             CREATE UNIQUE INDEX ON seed_users (n)".into()),
        ("follows", format!(
            "INSERT INTO follows (follower_id, following_id, state, created_at)
             SELECT a.id, b.id, 'accepted', now() - random() * interval '365 days'
               FROM seed_users a
               -- A third of the picks favour low-numbered accounts (the popular ones), the rest are uniform.
               CROSS JOIN LATERAL (SELECT DISTINCT 1 + floor(CASE WHEN random() < 0.33 THEN power(random(), 3)
                                                                  ELSE random() END * {users})::int AS target
                                     -- `+ a.n * 0` ties the count to the row, so it is drawn per account.
                                     FROM generate_series(1, 1 + floor(random() * {twice})::int + a.n * 0)) pick
               JOIN seed_users b ON b.n = pick.target
              WHERE b.id <> a.id
             ON CONFLICT DO NOTHING",
            users = options.users,
            twice = options.follows * 2
        )),
        ("tags", format!("INSERT INTO tags (name) SELECT 'tag' || n FROM generate_series(0, {} - 1) n", options.tags)),
        ("thoughts", format!(
            // Stored in time order, as a live server stores them.
            "INSERT INTO thoughts (user_id, content, visibility, created_at)
             SELECT * FROM (
                 SELECT u.id,
                        -- Five words drawn from the vocabulary by the bytes of md5(g), then a tag.
                        (SELECT string_agg({words}[1 + get_byte(decode(md5(g::text), 'hex'), k) % {words_len}], ' ' ORDER BY k)
                           FROM generate_series(0, 4) k)
                          || ' #tag' || (g % {tags}),
                        CASE WHEN g % 50 = 0 THEN 'private' WHEN g % 10 = 0 THEN 'followers' ELSE 'public' END,
                        now() - random() * interval '365 days' AS created_at
                   FROM generate_series(1, {thoughts}) g
                   JOIN seed_users u ON u.n = 1 + (g::bigint * 7919) % {users}) s
              ORDER BY created_at",
            tags = options.tags,
            words = sql_array(WORDS),
            words_len = WORDS.len(),
            thoughts = options.thoughts,
            users = options.users
        )),
        ("thought tags", "INSERT INTO thought_tags (thought_id, tag_id, created_at)
             SELECT t.id, g.id, t.created_at FROM thoughts t JOIN tags g ON g.name = substring(t.content from '#(tag[0-9]+)')".into()),
        ("likes", reactions("likes", options.likes, options.users)),
        ("boosts", reactions("boosts", options.boosts, options.users)),
        ("statistics", "ANALYZE users, follows, thoughts, thought_tags, tags, likes, boosts".into()),
    ];
    // All or nothing: a failed seed leaves the database empty, ready for another try.
    let mut transaction = pool.begin().await?;
    for (name, sql) in steps {
        let started = Instant::now();
        sqlx::raw_sql(&sql)
            .execute(&mut *transaction)
            .await
            .with_context(|| format!("seeding {name}"))?;
        println!("seeded {name} in {:.1} s", started.elapsed().as_secs_f64());
    }
    transaction.commit().await?;
    Ok(())
}

/// `count` random (user, public thought) pairs for `table` (likes or boosts).
fn reactions(table: &str, count: i32, users: i32) -> String {
    format!(
        "CREATE TEMP TABLE IF NOT EXISTS seed_public AS
             SELECT row_number() OVER () AS n, id FROM thoughts WHERE visibility = 'public';
         CREATE UNIQUE INDEX IF NOT EXISTS seed_public_n ON seed_public (n);
         WITH picks AS MATERIALIZED (
             SELECT 1 + floor(random() * {users})::int AS un,
                    1 + floor(random() * (SELECT count(*) FROM seed_public))::bigint AS tn
               FROM generate_series(1, {count}))
         INSERT INTO {table} (user_id, thought_id, created_at)
         SELECT u.id, t.id, now() - random() * interval '300 days'
           FROM picks JOIN seed_users u ON u.n = picks.un JOIN seed_public t ON t.n = picks.tn
         ON CONFLICT DO NOTHING"
    )
}

/// Display names are a first and a last name from these lists (100 × 100 combinations).
const FIRST_NAMES: &[&str] = &[
    "Ana",
    "Ben",
    "Carla",
    "Dmitri",
    "Elif",
    "Femi",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tomoko",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Amir",
    "Bianca",
    "Chen",
    "Diego",
    "Emma",
    "Farah",
    "Gustav",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lucia",
    "Marek",
    "Noor",
    "Olga",
    "Pablo",
    "Rania",
    "Sami",
    "Tara",
    "Ugo",
    "Vera",
    "Wim",
    "Yara",
    "Zoltan",
    "Alice",
    "Bruno",
    "Chloe",
    "David",
    "Eva",
    "Felix",
    "Gia",
    "Hugo",
    "Ida",
    "Jamal",
    "Kira",
    "Leo",
    "Maya",
    "Nico",
    "Oscar",
    "Paula",
    "Rafael",
    "Sofia",
    "Theo",
    "Ulla",
    "Vlad",
    "Willa",
    "Xavier",
    "Yuki",
    "Zeynep",
    "Arjun",
    "Beatriz",
    "Cyrus",
    "Daria",
    "Elena",
    "Fatima",
    "George",
    "Helga",
    "Isaac",
    "Jin",
    "Karim",
    "Laila",
    "Miguel",
    "Nina",
    "Otto",
    "Pia",
    "Ravi",
    "Selin",
    "Tomas",
    "Ursula",
    "Valentina",
    "Walter",
    "Yasmin",
    "Zoe",
    "Maria",
];
const LAST_NAMES: &[&str] = &[
    "Garcia",
    "Smith",
    "Kowalski",
    "Nguyen",
    "Yilmaz",
    "Okafor",
    "Rossi",
    "Tanaka",
    "Silva",
    "Müller",
    "Petrov",
    "Haddad",
    "Kim",
    "Johansson",
    "Dubois",
    "Fernandez",
    "Novak",
    "Ahmed",
    "Costa",
    "Schmidt",
    "Ivanova",
    "Lopez",
    "Andersen",
    "Moreau",
    "Sato",
    "Khan",
    "Brown",
    "Papadopoulos",
    "Horvat",
    "Jansen",
    "Wójcik",
    "Chen",
    "Mensah",
    "Ricci",
    "Suzuki",
    "Pereira",
    "Weber",
    "Popescu",
    "Ali",
    "Nielsen",
    "Laurent",
    "Morales",
    "Kovacs",
    "Hoffmann",
    "Gonzalez",
    "Yamamoto",
    "Santos",
    "Fischer",
    "Demir",
    "Wilson",
    "Bianchi",
    "Eriksson",
    "Torres",
    "Nowak",
    "Park",
    "Oliveira",
    "Becker",
    "Ozturk",
    "Taylor",
    "Lambert",
    "Ramos",
    "Varga",
    "Wagner",
    "Castro",
    "Ito",
    "Almeida",
    "Koch",
    "Aydin",
    "Davies",
    "Fontaine",
    "Vargas",
    "Toth",
    "Schulz",
    "Ortiz",
    "Kato",
    "Barbosa",
    "Richter",
    "Celik",
    "Evans",
    "Girard",
    "Ruiz",
    "Szabo",
    "Klein",
    "Diaz",
    "Watanabe",
    "Rocha",
    "Wolf",
    "Arslan",
    "Thomas",
    "Mercier",
    "Herrera",
    "Nagy",
    "Neumann",
    "Reyes",
    "Kobayashi",
    "Lima",
    "Schwarz",
    "Dogan",
    "Roberts",
    "Bonnet",
];
/// The words thoughts are made of; each appears in roughly one thought in fifteen.
const WORDS: &[&str] = &[
    "good",
    "morning",
    "coffee",
    "music",
    "today",
    "friends",
    "about",
    "weekend",
    "night",
    "just",
    "finally",
    "love",
    "new",
    "song",
    "playlist",
    "profile",
    "layout",
    "glitter",
    "concert",
    "rain",
    "sunny",
    "cat",
    "dog",
    "pizza",
    "movie",
    "game",
    "school",
    "work",
    "tired",
    "happy",
    "bored",
    "dance",
    "guitar",
    "drawing",
    "photo",
    "summer",
    "winter",
    "train",
    "city",
    "beach",
    "book",
    "reading",
    "coding",
    "bug",
    "fixed",
    "release",
    "garden",
    "tea",
    "cake",
    "party",
    "birthday",
    "band",
    "vinyl",
    "mixtape",
    "sparkle",
    "background",
    "webring",
    "guestbook",
    "blog",
    "update",
    "lunch",
    "dinner",
    "walk",
    "sleep",
];

/// A PostgreSQL text array literal of `items` (they hold no quotes).
fn sql_array(items: &[&str]) -> String {
    format!("(ARRAY['{}'])", items.join("','"))
}
