//! The seller's listings: the list with each one's state, the edit form
//! (words, price, stock, ship-by days) and pause / resume.

use super::filters;
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use haven_domain::catalog::{Listing, ListingEdit, StockEdit, Visibility};
use haven_domain::ids::ListingId;
use haven_domain::money::Money;
use haven_store::PageRequest;
use serde::Deserialize;

use super::OrBack;
use super::csrf::redirect_with_flash;
use super::{
    AppState, CursorQuery, Layout, Member, Query, WebError, WebResult, parse_form, render,
};
use crate::api::extract::{Path, RawBody, path_id};
use haven_app::{Actor, App, AppError};

const LISTINGS_PER_PAGE: u32 = 25;

/// One row of the seller's list.
struct ListingRow {
    id: String,
    title: String,
    price: String,
    stock: i64,
    picture: Option<String>,
    /// "On sale", "Paused", "Held by trust and safety" or "Sold out".
    state: &'static str,
    /// The badge's class.
    state_class: &'static str,
    paused: bool,
    /// Why trust and safety holds it, in the words the seller is shown.
    hold_reason: Option<String>,
}

impl From<&Listing> for ListingRow {
    fn from(l: &Listing) -> Self {
        let (state, state_class) = match l.visibility() {
            Visibility::Held => ("Held by trust and safety", "bad"),
            Visibility::Paused => ("Paused", "pending_payment"),
            Visibility::OnSale if l.stock == 0 => ("Sold out", "pending_payment"),
            Visibility::OnSale => ("On sale", "ok"),
        };
        ListingRow {
            id: l.id.to_string(),
            title: l.title.clone(),
            price: super::shown(l.price),
            stock: l.stock,
            picture: l.images.first().map(|h| format!("/media/{h}")),
            state,
            state_class,
            paused: l.is_paused(),
            hold_reason: l.hold.as_ref().map(|h| h.reason.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "seller_listings.html")]
struct ListingsPage {
    layout: Layout,
    listings: Vec<ListingRow>,
    next_url: Option<String>,
}

pub async fn list(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    let page = app
        .my_listings(&actor, &PageRequest::new(q.cursor, Some(LISTINGS_PER_PAGE)))
        .await?;
    Ok(render(&ListingsPage {
        layout: Layout::new(&app, Some(&actor), "Your listings"),
        listings: page.items.iter().map(ListingRow::from).collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/seller/listings?cursor={c}")),
    }))
}

/// What the edit form shows: the listing's values, or what the seller
/// typed when a save was refused.
struct EditValues {
    title: String,
    description: String,
    price: String,
    stock: String,
    stock_seen: i64,
    ship_by_days: String,
}

#[derive(Template)]
#[template(path = "listing_edit.html")]
struct EditPage {
    layout: Layout,
    id: String,
    values: EditValues,
    currency: String,
    ship_by_min: u32,
    ship_by_max: u32,
    held: bool,
    /// A refusal about the whole form.
    error: Option<String>,
    /// A refusal about one field: (field, message), shown next to it.
    field_error: Option<(String, String)>,
}

impl EditPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.field_error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

pub(super) async fn own_listing(app: &App, actor: &Actor, id: &str) -> Result<Listing, WebError> {
    let id: ListingId = path_id(id, "listing")?;
    Ok(app.own_listing(actor.require_store()?, id).await?)
}

fn edit_page(
    app: &App,
    actor: &Actor,
    listing: &Listing,
    values: EditValues,
    err: Option<AppError>,
) -> WebResult {
    let (_, policy) = app.current_policy();
    let (error, field_error) = match err {
        Some(e) => match e.details.field.clone() {
            Some(field) => (None, Some((field, e.message))),
            None => (Some(e.message), None),
        },
        None => (None, None),
    };
    Ok(render(&EditPage {
        layout: Layout::new(app, Some(actor), format!("Edit {}", listing.title)),
        id: listing.id.to_string(),
        values,
        currency: listing.price.currency.to_string(),
        ship_by_min: policy.ship_by_days_min,
        ship_by_max: policy.ship_by_days_max,
        held: listing.is_held(),
        error,
        field_error,
    }))
}

pub async fn edit_form(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let listing = own_listing(&app, &actor, &id).await?;
    let values = EditValues {
        title: listing.title.clone(),
        description: listing.description.clone(),
        price: listing.price.decimal(),
        stock: listing.stock.to_string(),
        stock_seen: listing.stock,
        ship_by_days: listing.ship_by_days.to_string(),
    };
    edit_page(&app, &actor, &listing, values, None)
}

#[derive(Deserialize)]
pub struct EditForm {
    title: String,
    #[serde(default)]
    description: String,
    price: String,
    stock: String,
    stock_seen: String,
    ship_by_days: String,
}

impl EditForm {
    /// The edit, changing only what differs from the listing as stored.
    fn edit_of(&self, listing: &Listing) -> Result<ListingEdit, AppError> {
        let price = Money::parse_decimal(&self.price, listing.price.currency).map_err(|_| {
            AppError::invalid_field("price", "write the price as an amount, like 19.99")
        })?;
        let whole = |raw: &str, field: &str| {
            raw.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid_field(field, "write a whole number, like 12"))
        };
        let stock = whole(&self.stock, "stock")?;
        let seen = whole(&self.stock_seen, "stock")?;
        let days = u32::try_from(whole(&self.ship_by_days, "ship_by_days")?).map_err(|_| {
            AppError::invalid_field("ship_by_days", "write a number of days, like 3")
        })?;
        let changed = |new: &str, old: &str| (new.trim() != old).then(|| new.to_string());
        Ok(ListingEdit {
            title: changed(&self.title, &listing.title),
            description: changed(&self.description, &listing.description),
            price: (price != listing.price).then_some(price),
            ship_by_days: (days != listing.ship_by_days).then_some(days),
            stock: (stock != seen).then_some(StockEdit { seen, new: stock }),
            ..ListingEdit::default()
        })
    }

    fn values(self) -> EditValues {
        EditValues {
            stock_seen: self.stock_seen.trim().parse().unwrap_or_default(),
            title: self.title,
            description: self.description,
            price: self.price,
            stock: self.stock,
            ship_by_days: self.ship_by_days,
        }
    }
}

pub async fn save(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: EditForm = parse_form(&body)?;
    let listing = own_listing(&app, &actor, &id).await?;
    let outcome = match form.edit_of(&listing) {
        Ok(edit) if edit.is_empty() => {
            return Ok(
                redirect_with_flash(&app, "/seller/listings", "Nothing changed.").into_response(),
            );
        }
        Ok(edit) => app.edit_listing(&actor, listing.id, edit).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(saved) => {
            let message = if saved.is_held() && !listing.is_held() {
                format!(
                    "Saved “{}”. Haven's listing checks hold it for an agent to look at; you will see why on your listings.",
                    saved.title
                )
            } else {
                format!("Saved “{}”.", saved.title)
            };
            Ok(redirect_with_flash(&app, "/seller/listings", &message).into_response())
        }
        Err(err) if err.kind.is_correctable() => {
            // Show the current stock after a sale raced the edit, so the
            // seller decides again from the true figure.
            let mut values = form.values();
            if err.kind == haven_app::ErrorKind::ConcurrentUpdate {
                values.stock_seen = listing.stock;
            }
            edit_page(&app, &actor, &listing, values, Some(err))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct PauseForm {
    paused: String,
}

pub async fn pause(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: PauseForm = parse_form(&body)?;
    let listing = own_listing(&app, &actor, &id).await?;
    let paused = form.paused == "true";
    let edit = ListingEdit {
        paused: Some(paused),
        ..ListingEdit::default()
    };
    let saved = app
        .edit_listing(&actor, listing.id, edit)
        .await
        .or_back("/seller/listings")?;
    let message = match (paused, saved.is_held()) {
        (true, _) => format!(
            "Paused “{}”: buyers cannot find or order it until you resume it.",
            saved.title
        ),
        (false, true) => format!(
            "Resumed “{}”, but trust and safety still holds it, so buyers cannot see it yet.",
            saved.title
        ),
        (false, false) => format!("“{}” is on sale again.", saved.title),
    };
    Ok(redirect_with_flash(&app, "/seller/listings", &message).into_response())
}
