//! The admin's webhook pages: endpoints (add, pause, resume), each one's
//! delivery log, and a resend button per delivery.

use super::filters;
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use haven_domain::events::EventType;
use haven_store::{PageRequest, WebhookEndpoint};
use serde::Deserialize;

use super::{AppState, CursorQuery, Layout, Member, Path, Query, WebResult, parse_form, render};
use super::{CameFrom, OrBack};
use crate::api::extract::{RawBody, path_id};
use crate::views::CommandView;

pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub topics: String,
    pub description: String,
    pub enabled: bool,
}

impl From<&WebhookEndpoint> for EndpointRow {
    fn from(e: &WebhookEndpoint) -> Self {
        EndpointRow {
            id: e.id.to_string(),
            url: e.url.clone(),
            topics: if e.topics.is_empty() {
                "every event".to_string()
            } else {
                e.topics.join(", ")
            },
            description: e.description.clone(),
            enabled: e.enabled,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    endpoints: Vec<EndpointRow>,
    event_types: Vec<&'static str>,
    /// Set once, right after an endpoint is added: its signing secret.
    new_secret: Option<String>,
    /// What the add form held when it was refused (kept for correcting).
    form: EndpointForm,
    /// A refusal about the whole form.
    error: Option<String>,
    /// A refusal about one field: (field, message), shown next to it.
    field_error: Option<(String, String)>,
}

impl WebhooksPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.field_error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

fn page(layout: Layout, endpoints: &[WebhookEndpoint], new_secret: Option<String>) -> WebResult {
    refused_page(layout, endpoints, new_secret, EndpointForm::default(), None)
}

/// The page, with the add form refilled and the reason it was refused
/// (next to its field when it names one).
fn refused_page(
    layout: Layout,
    endpoints: &[WebhookEndpoint],
    new_secret: Option<String>,
    form: EndpointForm,
    err: Option<haven_app::AppError>,
) -> WebResult {
    let (error, field_error) = match err {
        Some(e) => match e.details.field.clone() {
            Some(field) if ["url", "topics", "description"].contains(&field.as_str()) => {
                (None, Some((field, e.message)))
            }
            _ => (Some(e.message), None),
        },
        None => (None, None),
    };
    Ok(render(&WebhooksPage {
        layout,
        endpoints: endpoints.iter().map(EndpointRow::from).collect(),
        event_types: EventType::ALL.iter().map(EventType::as_str).collect(),
        new_secret,
        form,
        error,
        field_error,
    }))
}

pub async fn webhooks(State(app): AppState, Member(actor): Member) -> WebResult {
    let endpoints = app.webhook_endpoints(&actor).await?;
    page(
        Layout::new(&app, Some(&actor), "Webhooks"),
        &endpoints,
        None,
    )
}

#[derive(Deserialize, Default)]
pub struct EndpointForm {
    url: String,
    #[serde(default)]
    topics: String,
    #[serde(default)]
    description: String,
}

/// Add an endpoint, and show its secret on the page that answers (it is
/// never shown again).
pub async fn add_webhook(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let form: EndpointForm = parse_form(&body)?;
    let topics = form
        .topics
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let created = app
        .create_webhook_endpoint(
            &actor,
            haven_app::webhooks::NewEndpoint {
                url: form.url.clone(),
                topics,
                description: form.description.clone(),
            },
        )
        .await;
    let endpoints = app.webhook_endpoints(&actor).await?;
    let endpoint = match created {
        Ok(endpoint) => endpoint,
        Err(err) if err.kind.is_correctable() => {
            let status = crate::error::status_of(err.kind);
            let layout = Layout::new(&app, Some(&actor), "Webhooks");
            let page = refused_page(layout, &endpoints, None, form, Some(err))?;
            return Ok((status, page).into_response());
        }
        Err(err) => return Err(err.into()),
    };
    let mut layout = Layout::new(&app, Some(&actor), "Webhooks");
    layout.flash = Some(super::csrf::Flash {
        message: format!("Endpoint added: {}", endpoint.url),
        refusal: false,
    });
    page(layout, &endpoints, Some(endpoint.secret))
}

#[derive(Deserialize)]
pub struct StateForm {
    enabled: String,
}

pub async fn set_webhook_state(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: StateForm = parse_form(&body)?;
    let enabled = form.enabled == "true";
    let id = path_id(&id, "webhook endpoint")?;
    let endpoint = app
        .set_webhook_endpoint_enabled(&actor, id, enabled)
        .await
        .or_back(&format!("/admin/webhooks/{id}"))?;
    let said = if enabled {
        "Resumed: it is sent events from now on."
    } else {
        "Paused: nothing is sent to it until you resume it."
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        &format!("/admin/webhooks/{}", endpoint.id),
        said,
    ))
}

#[derive(Template)]
#[template(path = "admin_webhook.html")]
struct DeliveriesPage {
    layout: Layout,
    endpoint: EndpointRow,
    deliveries: Vec<CommandView>,
    next: Option<String>,
}

pub async fn webhook_deliveries(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    let id = path_id(&id, "webhook endpoint")?;
    let endpoint = app.webhook_endpoint(&actor, id).await?;
    let page = app
        .webhook_deliveries(&actor, id, &PageRequest::new(q.cursor, Some(50)))
        .await?;
    Ok(render(&DeliveriesPage {
        layout: Layout::new(&app, Some(&actor), "Webhook deliveries"),
        endpoint: EndpointRow::from(&endpoint),
        deliveries: page.items.iter().map(CommandView::from).collect(),
        next: page
            .next_cursor
            .map(|c| format!("/admin/webhooks/{id}?cursor={c}")),
    }))
}

pub async fn resend_webhook(
    State(app): AppState,
    Member(actor): Member,
    came_from: CameFrom,
    Path(id): Path<String>,
) -> WebResult {
    let command = app
        .resend_webhook_delivery(&actor, path_id(&id, "webhook delivery")?)
        .await
        .or_back(&came_from.or("/admin/webhooks"))?;
    let endpoint = command.payload["endpoint_id"].as_str().unwrap_or_default();
    Ok(super::csrf::redirect_with_flash(
        &app,
        &format!("/admin/webhooks/{endpoint}"),
        "Queued again: it goes out within seconds.",
    )
    .into_response())
}
