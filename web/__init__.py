"""The web layer: the Starlette app, its middleware, the GraphQL view, file downloads, GraphiQL."""
