import Foundation
import WaysideCore

/// Turns scores into the officer's ``MatchDecision``, with every number from a
/// ``MatchCalibration``.
///
/// No band is a denial: "no match" sends the officer to the documents, "review" asks for a
/// closer look, and a 1:N hit on someone else expected today is flagged as a possible
/// mix-up of records (a swapped photo or appointment), which only a person can sort out.
public struct DecisionPolicy: Sendable, Equatable {
    /// Where the numbers come from.
    public let calibration: MatchCalibration

    /// A policy over a calibration (checked for consistent band edges).
    public init(calibration: MatchCalibration) throws {
        try calibration.checkConsistent(file: nil)
        self.calibration = calibration
    }

    /// The decision for a 1:1 score against the expected person and, when a 1:N search
    /// ran, the best candidate who is someone else.
    ///
    /// - at or above the review band's upper edge: match
    /// - inside the band [lower, upper): review
    /// - below it: no match
    /// - whatever the 1:1 band, when someone else scores at or above the threshold and
    ///   higher than the expected person: possible mix-up, naming them.
    public func decide(expectedScore: Float, bestOther: (id: UUID, score: Float)? = nil) -> MatchDecision {
        let score = Double(expectedScore)
        let band: MatchBand
        if let other = bestOther, Double(other.score) >= calibration.threshold.threshold, other.score > expectedScore {
            return MatchDecision(band: .possibleMixUp, score: score, threshold: calibration.threshold.threshold,
                                 modelVersion: calibration.model.version, otherCandidate: other.id)
        }
        if score >= calibration.reviewUpper.threshold {
            band = .match
        } else if score >= calibration.reviewLower.threshold {
            band = .review
        } else {
            band = .noMatch
        }
        return MatchDecision(band: band, score: score, threshold: calibration.threshold.threshold,
                             modelVersion: calibration.model.version)
    }
}

/// The port station's matcher: 1:1 against the expected person's template and 1:N over
/// today's gallery, read through the decision policy. What a ``PortStation`` calls for
/// `match(_:expected:)`.
///
/// Holds the gallery in memory (``Gallery``) or as a mapped file (``MappedGallery``, opened
/// inside the actor so its raw pointers never leave it).
public actor StationMatcher {
    private enum Storage {
        case memory(Gallery)
        case file(MappedGallery)
    }

    private var storage: Storage
    private let policy: DecisionPolicy
    private let search: GallerySearch
    private let backend: ComparisonBackend?

    /// A matcher over today's gallery in memory. The calibration must be for its model.
    /// With a `backend`, the gallery holds that back-end's templates, captures are prepared
    /// by it, and every score the policy sees is its calibrated score.
    public init(gallery: Gallery, policy: DecisionPolicy, backend: ComparisonBackend? = nil,
                search: GallerySearch = GallerySearch()) throws {
        try gallery.model.requireSame(as: policy.calibration.model, operation: "start matcher")
        if let backend { try backend.model.requireSame(as: gallery.model, operation: "start matcher") }
        self.storage = .memory(gallery)
        self.policy = policy
        self.search = search
        self.backend = backend
    }

    /// A matcher over a gallery file (opened writable so late registrations and removals
    /// apply in place). The calibration must be for the file's model.
    public init(galleryFile path: String, policy: DecisionPolicy, backend: ComparisonBackend? = nil,
                search: GallerySearch = GallerySearch()) throws {
        let gallery = try MappedGallery(path: path, writable: true)
        try gallery.model.requireSame(as: policy.calibration.model, operation: "start matcher")
        if let backend { try backend.model.requireSame(as: gallery.model, operation: "start matcher") }
        self.storage = .file(gallery)
        self.policy = policy
        self.search = search
        self.backend = backend
    }

    /// The gallery form of a flow template: the back-end's when there is one.
    private func galleryForm(_ template: FaceTemplate) throws -> MatchTemplate {
        guard let backend else { return try MatchTemplate(template) }
        return try backend.galleryTemplate(descriptor: template.values,
                                           model: TemplateModel(engine: template.engine, version: template.modelVersion))
    }

    /// Adds or replaces an expected person's template (a late registration).
    public func add(_ template: FaceTemplate, for id: UUID) throws {
        let matchTemplate = try galleryForm(template)
        switch storage {
        case .memory(var gallery):
            try gallery.add(matchTemplate, for: id)
            storage = .memory(gallery)
        case .file(let gallery):
            try gallery.add(matchTemplate, for: id)
            try gallery.sync()
        }
    }

    /// True when the gallery holds a template for `id`.
    public func holds(_ id: UUID) -> Bool {
        switch storage {
        case .memory(let gallery): return gallery.slot(of: id) != nil
        case .file(let gallery): return gallery.slot(of: id) != nil
        }
    }

    /// Removes a person (checked in, cancelled, or their data forgotten).
    @discardableResult
    public func remove(_ id: UUID) throws -> Bool {
        switch storage {
        case .memory(var gallery):
            let removed = gallery.remove(id)
            storage = .memory(gallery)
            return removed
        case .file(let gallery):
            let removed = try gallery.remove(id)
            try gallery.sync()
            return removed
        }
    }

    /// The decision for a capture of the person expected as `expected`. Throws when the
    /// capture's model differs from the gallery's or the person has no template: the flow
    /// answers either with the biographic path.
    public func match(_ template: FaceTemplate, expected: UUID) throws -> MatchDecision {
        let probe: MatchTemplate, halfOffset: Float
        if let backend {
            let prepared = try backend.probe(descriptor: template.values,
                                             model: TemplateModel(engine: template.engine, version: template.modelVersion))
            (probe, halfOffset) = (prepared.template, prepared.halfOffset)
        } else {
            (probe, halfOffset) = (try MatchTemplate(template), 0)
        }
        switch storage {
        case .memory(let gallery): return try decide(probe, halfOffset: halfOffset, expected: expected, in: gallery)
        case .file(let gallery): return try decide(probe, halfOffset: halfOffset, expected: expected, in: gallery)
        }
    }

    /// `halfOffset` is the probe's share of the calibration (0 without a back-end): the
    /// same for every gallery row, so it changes no ranking, only the scores the policy reads.
    private func decide<G: SearchableGallery>(_ probe: MatchTemplate, halfOffset: Float, expected: UUID, in gallery: G) throws -> MatchDecision {
        let expectedScore = try search.verify(probe, against: expected, in: gallery) - halfOffset
        let top = try search.topK(probe, k: 2, in: gallery)
        let other = top.first { $0.id != expected }.map { (id: $0.id, score: $0.score - halfOffset) }
        return policy.decide(expectedScore: expectedScore, bestOther: other)
    }
}
