package tests

import "testing"

// BenchmarkEvaluate measures one evaluation of each stack under mocks: the
// cost of `pulumi preview`'s program side and of every mock test.
func BenchmarkEvaluate(b *testing.B) {
	evaluate(b, "staging", nil) // builds the Lambda archive once per process: not part of an evaluation
	for _, stack := range stacks {
		b.Run(stack, func(b *testing.B) {
			for b.Loop() {
				evaluate(b, stack, nil)
			}
		})
	}
}
