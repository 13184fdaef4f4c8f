import Testing
import WaysideCore

@Suite struct SymmetricEigenTests {
    /// A = Q diag(5, 2, -1) Qᵀ with a known rotation Q: the decomposition must give back
    /// the values, and each vector must satisfy A v = λ v.
    @Test func recoversAKnownDecomposition() {
        let c = 0.6, s = 0.8
        let q: [Double] = [c, -s, 0, s, c, 0, 0, 0, 1]
        let lambda: [Double] = [5, 2, -1]
        var a = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { a[i * 3 + j] += q[i * 3 + k] * lambda[k] * q[j * 3 + k] } } }
        let (values, vectors) = SymmetricEigen.decompose(a, size: 3)
        #expect(values.sorted().enumerated().allSatisfy { abs($0.element - [-1.0, 2, 5][$0.offset]) < 1e-12 })
        for col in 0..<3 {
            for row in 0..<3 {
                let av = (0..<3).map { a[row * 3 + $0] * vectors[$0 * 3 + col] }.reduce(0, +)
                #expect(abs(av - values[col] * vectors[row * 3 + col]) < 1e-12)
            }
        }
        let smallest = SymmetricEigen.smallestEigenvector(a, size: 3)
        #expect(abs(abs(smallest[2]) - 1) < 1e-12, "the eigenvalue -1 belongs to the third axis")
    }
}
