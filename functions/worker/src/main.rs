//! `accessdrift-worker`: wiring only; see [`accessdrift_worker::handle`].

use accessdrift_primitives::Time;
use accessdrift_runtime::{Config, Runtime};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let sdk = aws_config::load_from_env().await;
    let runtime = Runtime::start(sdk, Config::from_env()).await?;
    let runtime = &runtime;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let now = Time::now();
        let services = runtime.services(now)?;
        let settings = runtime.settings(now).await?;
        let response = accessdrift_worker::handle(&event.payload, &services, &settings, now).await;
        Ok::<SqsBatchResponse, Error>(response)
    }))
    .await
}
