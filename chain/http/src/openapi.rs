//! The OpenAPI 3.1 document of the HTTP API, served at `/v1/openapi.json`: built with
//! utoipa's builder from the same walk of the endpoint types the router is built from,
//! with the schemas the API's types derive (`handoff-api`'s `openapi` feature). Path
//! fields are path parameters; the other fields of a `GET` are query parameters, those
//! of another method a JSON body; every route answers its response type or the error
//! shape; the routes that need a token say so (`bearer`).

use crate::api::{Endpoint, Method};
use crate::decode::{path_fields, uses_query};
use crate::endpoints::{Visit, visit};
use crate::error::ErrorBody;
use crate::server::is_public;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, Paths};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Required,
    ResponseBuilder,
};
use utoipa::{PartialSchema, ToSchema};

/// The name of the bearer-token security scheme.
const BEARER: &str = "bearer";

struct Doc {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

fn object(s: RefOr<Schema>) -> Option<utoipa::openapi::schema::Object> {
    match s {
        RefOr::T(Schema::Object(o)) => Some(o),
        _ => None,
    }
}

impl Visit for Doc {
    fn endpoint<E>(&mut self)
    where
        E: Endpoint + ToSchema + Send + 'static,
        E::Response: ToSchema + Send,
    {
        let in_path = path_fields(E::PATH);
        let mut op = OperationBuilder::new()
            .operation_id(Some(E::OP))
            .summary(Some(format!("{} `{}`", E::METHOD.as_str(), E::PATH)))
            .tag(if E::ACTION { "actions" } else { "queries" });
        for f in &in_path {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*f)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
        let request = object(E::schema());
        if uses_query(E::METHOD) {
            if let Some(o) = &request {
                for (name, schema) in o.properties.iter() {
                    if in_path.contains(&name.as_str()) {
                        continue;
                    }
                    let required = if o.required.contains(name) {
                        Required::True
                    } else {
                        Required::False
                    };
                    op = op.parameter(
                        ParameterBuilder::new()
                            .name(name.clone())
                            .parameter_in(ParameterIn::Query)
                            .required(required)
                            .schema(Some(schema.clone())),
                    );
                }
            }
        } else {
            // The body is the request without its path fields.
            let body: RefOr<Schema> = match request {
                Some(mut o) if !in_path.is_empty() => {
                    o.properties.retain(|k, _| !in_path.contains(&k.as_str()));
                    o.required.retain(|k| !in_path.contains(&k.as_str()));
                    RefOr::T(Schema::Object(o))
                }
                _ => RefOr::Ref(Ref::from_schema_name(E::name())),
            };
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content("application/json", Content::new(Some(body)))
                    .build(),
            ));
        }
        op = op
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The operation's answer.")
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(E::Response::name()))),
                    ),
            )
            .response(
                "default",
                ResponseBuilder::new()
                    .description("A refusal or a failure, with its stable code.")
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(ErrorBody::name()))),
                    ),
            );
        if !is_public(E::OP) {
            op = op.security(SecurityRequirement::new(BEARER, Vec::<String>::new()));
        }
        let method = match E::METHOD {
            Method::Get => HttpMethod::Get,
            Method::Post => HttpMethod::Post,
            Method::Put => HttpMethod::Put,
            Method::Delete => HttpMethod::Delete,
        };
        self.paths
            .add_path_operation(E::PATH, vec![method], op.build());
        self.schemas.push((E::name().into_owned(), E::schema()));
        E::schemas(&mut self.schemas);
        self.schemas
            .push((E::Response::name().into_owned(), E::Response::schema()));
        E::Response::schemas(&mut self.schemas);
    }
}

/// The document.
pub fn document() -> OpenApi {
    let mut doc = Doc {
        paths: Paths::new(),
        schemas: Vec::new(),
    };
    visit(&mut doc);
    doc.schemas
        .push((ErrorBody::name().into_owned(), ErrorBody::schema()));
    ErrorBody::schemas(&mut doc.schemas);
    let mut components = ComponentsBuilder::new().security_scheme(
        BEARER,
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    for (name, schema) in doc.schemas {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Handoff node API")
                .version(crate::api::VERSION)
                .description(Some(
                    "Every operation of a Handoff node. Actions need a bearer token; \
                     reads of public data do not. Errors are {\"error\": {code, message, kind}}.",
                )),
        )
        .paths(doc.paths)
        .components(Some(components.build()))
        .build()
}

/// The document as JSON text.
pub fn document_json() -> String {
    document()
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":{{\"code\":\"INTERNAL\",\"message\":\"{e}\"}}}}"))
}
