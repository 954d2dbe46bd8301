"""Business rules as plain functions: no GraphQL, no SQL."""
