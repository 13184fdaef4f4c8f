import Foundation

/// Verification figures on one data set.
public struct VerificationResult: Sendable, Codable, Equatable {
    /// Data set name.
    public var dataset: String
    /// Images used.
    public var images: Int
    /// Images where no face was found (failure to enrol, ISO/IEC 19795-1).
    public var failedToEnrol: Int
    /// failedToEnrol / images.
    public var failureToEnrolRate: Double
    /// Images with more than one face (the one nearest the centre was taken).
    public var multipleFaces: Int
    /// Genuine pairs dropped because an image failed to enrol.
    public var genuinePairsDropped: Int
    /// Accuracy on the listed pairs at dlib's customary 0.6 (LFW only).
    public var listedPairAccuracy: Double?
    /// The error rates.
    public var metrics: VerificationMetrics
    /// FNMR at each of ``VerificationMetrics/atFMR``'s points with every dropped genuine
    /// pair counted as a non-match (the generalised false reject of ISO/IEC 19795-1): an
    /// engine that fails to enrol hard images must not look better for dropping their pairs.
    public var fnmrCountingDropped: [Double]?
}

/// Detection and gate figures per demographic group on one data set.
public struct GroupResult: Sendable, Codable, Equatable {
    /// Data set name.
    public var dataset: String
    /// One entry per group.
    public var groups: [GroupRates]
    /// Largest miss rate over the smallest among the race groups (goal: within 1.25).
    public var raceMissRateRatio: Double?
    /// Guidance given per group (how often each advice came up).
    public var guidance: [String: [String: Int]]
    /// Mean face luma per group, to tell exposure problems from detector ones.
    public var meanLuminance: [String: Double]
}

/// The three shared data sets the evaluation knows (see ../shared/data/README.md).
public enum Datasets {
    /// Image list and pairs of the LFW View-2 protocol file (folds 1-5 as shipped).
    public struct LFWPairs: Sendable {
        /// Every image referenced, relative to the lfw folder.
        public var images: [String]
        /// Identity of each image in ``images``.
        public var identities: [String]
        /// Listed same-person pairs (indices into ``images``).
        public var same: [(Int, Int)]
        /// Listed different-person pairs.
        public var different: [(Int, Int)]
    }

    /// Parses `pairs.txt`; `pairsPerFold` keeps only that many of each kind per fold (a slice).
    public static func lfwPairs(_ text: String, folds: Int? = nil, pairsPerFold: Int? = nil) throws -> LFWPairs {
        var lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: "\t").map(String.init) }
        guard let header = lines.first, header.count == 2, let foldCount = Int(header[0]), let perFold = Int(header[1]) else {
            throw FaceEngineError(code: .badInput, operation: "read pairs.txt", detail: "missing header 'folds<TAB>pairs'")
        }
        lines.removeFirst()
        var images: [String] = [], identities: [String] = [], index: [String: Int] = [:]
        func image(_ name: String, _ n: String) throws -> Int {
            guard let number = Int(n) else {
                throw FaceEngineError(code: .badInput, operation: "read pairs.txt", detail: "bad image number \(n)")
            }
            let path = String(format: "images/%@/%@_%04d.jpg", name, name, number)
            if let i = index[path] { return i }
            index[path] = images.count
            images.append(path)
            identities.append(name)
            return images.count - 1
        }
        var same: [(Int, Int)] = [], different: [(Int, Int)] = []
        let keep = pairsPerFold ?? perFold
        for fold in 0..<min(foldCount, folds ?? foldCount) {
            for k in 0..<(2 * perFold) {
                let row = fold * 2 * perFold + k
                guard row < lines.count else { break }
                let f = lines[row]
                if k < perFold {
                    guard k < keep else { continue }
                    guard f.count == 3 else { throw FaceEngineError(code: .badInput, operation: "read pairs.txt", detail: "line \(row + 2)") }
                    same.append((try image(f[0], f[1]), try image(f[0], f[2])))
                } else {
                    guard k - perFold < keep else { continue }
                    guard f.count == 4 else { throw FaceEngineError(code: .badInput, operation: "read pairs.txt", detail: "line \(row + 2)") }
                    different.append((try image(f[0], f[1]), try image(f[2], f[3])))
                }
            }
        }
        return LFWPairs(images: images, identities: identities, same: same, different: different)
    }

    /// The LFW protocol: the listed same-person pairs are the genuine comparisons;
    /// every cross-identity pair of the images is an impostor one.
    public static func lfwProtocol(_ pairs: LFWPairs) -> PairProtocol {
        var labels: [String: Int] = [:]
        let ids = pairs.identities.map { name in labels[name] ?? { labels[name] = labels.count; return labels.count - 1 }() }
        return PairProtocol(dataset: "lfw", images: pairs.images, identities: ids, genuine: pairs.same,
                            listed: pairs.same.map { ($0.0, $0.1, true) } + pairs.different.map { ($0.0, $0.1, false) })
    }

    /// Verification over LFW with one engine's descriptors (``lfwProtocol(_:)``).
    public static func lfwResult(_ pairs: LFWPairs, records: [String: ImageRecord],
                                 metric: DescriptorMetric = .euclidean) -> VerificationResult {
        lfwProtocol(pairs).result(records: records, metric: metric)
    }

    /// Distances of every pair of enrolled images with different identities.
    public static func crossIdentityDistances(descriptors: [[Float]?], identities: [Int],
                                              metric: DescriptorMetric = .euclidean) -> [Float] {
        let table = DescriptorTable(descriptors, metric: metric)
        var out: [Float] = []
        PairProtocol.forEachCrossIdentityPair(identities) { a, b in
            if let d = table.distance(a, b) { out.append(d) }
        }
        return out
    }

    /// NUAA genuine (ClientRaw) frames, relative to the nuaa folder; `every` keeps every n-th.
    public static func nuaaFrames(root: String, every: Int = 1) -> [String] {
        let base = root + "/ClientRaw"
        guard let subjects = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [] }
        var out: [String] = []
        for subject in subjects.sorted() {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: base + "/" + subject)) ?? [])
                .filter { $0.hasSuffix(".jpg") }.sorted()
            for (k, f) in files.enumerated() where k % max(1, every) == 0 { out.append("ClientRaw/\(subject)/\(f)") }
        }
        return out
    }

    /// The NUAA cross-session protocol: genuine pairs are the same subject in different
    /// sessions (recorded weeks apart); impostors are all pairs of different subjects.
    public static func nuaaProtocol(_ frames: [String]) -> PairProtocol {
        // Name: ID_glasses_pos_session_frame.jpg
        let parts = frames.map { (($0 as NSString).lastPathComponent as String).split(separator: "_").map(String.init) }
        let subject = parts.map { Int($0.first ?? "") ?? -1 }
        let session = parts.map { $0.count > 3 ? $0[3] : "" }
        var genuine: [(Int, Int)] = []
        for a in frames.indices { for b in (a + 1)..<max(a + 1, frames.count)
            where subject[a] == subject[b] && session[a] != session[b] { genuine.append((a, b)) } }
        return PairProtocol(dataset: "nuaa", images: frames, identities: subject, genuine: genuine, listed: [])
    }

    /// Cross-session verification on NUAA with one engine's descriptors (``nuaaProtocol(_:)``).
    public static func nuaaResult(_ frames: [String], records: [String: ImageRecord],
                                  metric: DescriptorMetric = .euclidean) -> VerificationResult {
        nuaaProtocol(frames).result(records: records, metric: metric)
    }

    /// UTKFace crops, relative to the utkface folder; `every` keeps every n-th.
    public static func utkFaces(root: String, every: Int = 1) -> [String] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasSuffix(".jpg") }.sorted()
        return files.enumerated().filter { $0.offset % max(1, every) == 0 }.map(\.element)
    }

    /// UTKFace race labels, by number.
    public static let races = ["White", "Black", "Asian", "Indian", "Other"]

    /// Detect rate and gate-reject rate per race and per gender group.
    public static func utkResult(_ files: [String], records: [String: ImageRecord]) -> GroupResult {
        var counts: [String: (images: Int, detected: Int, rejected: Int, luma: Double, lumaN: Int)] = [:]
        var guidance: [String: [String: Int]] = [:]
        for file in files {
            // Name: age_gender_race_datetime.jpg.chip.jpg
            let f = file.split(separator: "_")
            guard f.count >= 4, let gender = Int(f[1]), let race = Int(f[2]), races.indices.contains(race) else { continue }
            let groups = ["race=\(races[race])", "gender=\(gender == 0 ? "male" : "female")"]
            let record = records[file]
            for g in groups {
                var c = counts[g] ?? (0, 0, 0, 0, 0)
                c.images += 1
                if let record, record.faces > 0 {
                    c.detected += 1
                    if let advice = record.guidance, !advice.isEmpty {
                        c.rejected += 1
                        for a in advice { guidance[g, default: [:]][a.rawValue, default: 0] += 1 }
                    }
                    if let l = record.luminance { c.luma += l; c.lumaN += 1 }
                }
                counts[g] = c
            }
        }
        let order = races.map { "race=\($0)" } + ["gender=male", "gender=female"]
        let groups = order.compactMap { g in counts[g].map { GroupRates(group: g, images: $0.images, detected: $0.detected, gateRejected: $0.rejected) } }
        let raceMiss = groups.filter { $0.group.hasPrefix("race=") && $0.images > 0 }.map(\.missRate)
        let ratio: Double? = raceMiss.isEmpty ? nil : (raceMiss.min()! > 0 ? raceMiss.max()! / raceMiss.min()! : (raceMiss.max()! > 0 ? .infinity : 1))
        return GroupResult(dataset: "utkface", groups: groups, raceMissRateRatio: ratio?.isFinite == true ? ratio : nil,
                           guidance: guidance,
                           meanLuminance: counts.compactMapValues { $0.lumaN > 0 ? $0.luma / Double($0.lumaN) : nil })
    }
}
