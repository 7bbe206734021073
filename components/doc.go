// Package components holds haina's Pulumi ComponentResources: one per AWS
// building block (Network, Stream, Warehouse) and the Pipeline that composes
// them, plus the stack-config loader and its validation.
package components
