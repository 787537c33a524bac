//! The timestamp formats Azure puts in bodies, headers and error messages, from the
//! emulator's clock (milliseconds since the epoch).

use time::OffsetDateTime;

fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// ARM's timestamp style: `2022-10-28T01:27:43.1054255Z` (seven fractional digits).
pub(crate) fn iso(ms: i64) -> String {
    let t = datetime(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 100
    )
}

/// The US style ARM uses in token-expiry messages: `8/25/2023 10:31:20 PM`.
pub(crate) fn us_time(secs: i64) -> String {
    let t = datetime(secs * 1000);
    let (h12, ampm) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        h12,
        t.minute(),
        t.second(),
        ampm
    )
}

/// `20261126T220309Z`, as in `x-ms-routing-request-id`.
pub(crate) fn compact_time(ms: i64) -> String {
    let t = datetime(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
