//! Start-up cost of the embedded action catalog: the index parse the first `catalog()`
//! call does, and the first lookup in a service (which parses that service lazily).

use accessdrift_iam_data::Catalog;
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    c.bench_function("catalog_index_parse", |b| {
        b.iter(|| std::hint::black_box(Catalog::parse_embedded()))
    });
    c.bench_function("catalog_parse_and_first_s3_lookup", |b| {
        b.iter(|| {
            let cat = Catalog::parse_embedded();
            std::hint::black_box(cat.action("s3:GetObject").is_some())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
