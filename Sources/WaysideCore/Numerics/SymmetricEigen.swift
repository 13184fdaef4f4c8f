/// Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations:
/// dependency-free (no LAPACK on the board's build), exact to rounding, and quick enough
/// for the sizes the project needs (9x9 for a homography's normal equations, 128x128 for
/// a descriptor covariance: a few sweeps each).
public enum SymmetricEigen {
    /// When the sweeps stop: the off-diagonal sum of squares below `factor` times the
    /// diagonal's, or below a fixed `bound`. Trained parameters were made with one rule and
    /// are reproduced only with the same one.
    public enum Convergence: Sendable {
        case relative(Double)
        case absolute(Double)
    }

    /// Eigenvalues (unordered) and eigenvectors as the columns of a row-major `n` x `n`
    /// matrix, after at most `maxSweeps` sweeps.
    public static func decompose(_ matrix: [Double], size n: Int, maxSweeps: Int = 100,
                                 convergence: Convergence = .relative(1e-30)) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n, "a \(n)x\(n) matrix has \(n * n) entries, not \(matrix.count)")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<maxSweeps {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p * n + q] * a[p * n + q] } }
            switch convergence {
            case .relative(let factor):
                let scale = (0..<n).map { a[$0 * n + $0] * a[$0 * n + $0] }.reduce(0, +)
                if off <= factor * max(scale, 1e-300) { return ((0..<n).map { a[$0 * n + $0] }, v) }
            case .absolute(let bound):
                if off < bound { return ((0..<n).map { a[$0 * n + $0] }, v) }
            }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p * n + q]) > 1e-300 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }

    /// The eigenvector of the smallest eigenvalue.
    public static func smallestEigenvector(_ matrix: [Double], size n: Int, maxSweeps: Int = 100,
                                           convergence: Convergence = .relative(1e-30)) -> [Double] {
        let (values, vectors) = decompose(matrix, size: n, maxSweeps: maxSweeps, convergence: convergence)
        let smallest = values.indices.min { values[$0] < values[$1] } ?? 0
        return (0..<n).map { vectors[$0 * n + smallest] }
    }
}
