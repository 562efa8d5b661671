//! `accessdrift-event`: wiring only. Builds the SDK clients and configuration once
//! per cold start, then hands each event to [`accessdrift_event::handle`].

use accessdrift_primitives::Time;
use accessdrift_runtime::{Config, Runtime};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let sdk = aws_config::load_from_env().await;
    let runtime = Runtime::start(sdk, Config::from_env()).await?;
    let runtime = &runtime;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let now = Time::now();
        let services = runtime.services(now)?;
        let settings = runtime.settings(now).await?;
        let summary = accessdrift_event::handle(&event.payload, &services, &settings, now).await?;
        Ok::<Value, Error>(summary)
    }))
    .await
}
