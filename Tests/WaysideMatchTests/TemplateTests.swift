import Foundation
import Testing
import WaysideCore
import WaysideMatch

struct TemplateTests {
    @Test func serialisedFormsRoundTrip() throws {
        let template = try Support.randomTemplates(1, seed: 7)[0]
        let exact = try MatchTemplate(serialized: template.serialized(as: .float32))
        #expect(exact == template)
        let compact = template.serialized(as: .int8)
        #expect(compact.count * 2 < template.serialized(as: .float32).count)
        let restored = try MatchTemplate(serialized: compact)
        #expect(restored.model == template.model)
        // int8 keeps the direction to well within the gap between people (cosine ~0.9999).
        #expect(try restored.similarity(to: template) > 0.9995)
    }

    @Test func probeCodesStayWithinSevenBits() throws {
        for t in try Support.randomTemplates(200, seed: 12) {
            #expect(t.probeCodes.allSatisfy { abs(Int($0)) <= 63 })
            #expect(t.probeCodes.contains { abs(Int($0)) == 63 })
            #expect(t.quantized.contains { abs(Int($0)) == 127 })
        }
    }

    @Test func int8ScoresTrackFloat32() throws {
        let templates = try Support.randomTemplates(50, seed: 11)
        for (a, b) in zip(templates, templates.dropFirst()) {
            var integer: Int32 = 0
            for i in 0..<MatchTemplate.dimension { integer += Int32(a.quantized[i]) * Int32(b.quantized[i]) }
            let approx = Float(integer) * a.scale * b.scale
            #expect(abs(approx - (try a.similarity(to: b))) < 0.01)
        }
    }

    @Test func templatesOfDifferentModelsAreNeverCompared() throws {
        let ours = try Support.randomTemplates(1, seed: 1)[0]
        let newer = try Support.randomTemplates(1, seed: 1, model: TemplateModel(engine: "dlib-resnet", version: "v2"))[0]
        let other = try Support.randomTemplates(1, seed: 1, model: TemplateModel(engine: "sface", version: "2021dec"))[0]
        for foreign in [newer, other] {
            let error = #expect(throws: MatchError.self) { try ours.similarity(to: foreign) }
            #expect(error?.code == .modelMismatch)
            #expect(error?.description.contains(foreign.model.description) == true)
            var gallery = Gallery(model: Support.model)
            #expect(throws: MatchError.self) { try gallery.add(foreign, for: UUID()) }
            try gallery.add(ours, for: UUID())
            #expect(throws: MatchError.self) { try GallerySearch().topK(foreign, k: 1, in: gallery) }
            #expect(throws: MatchError.self) { try GallerySearch().verify(foreign, against: gallery.people[0], in: gallery) }
        }
        // The domain type carries the names through.
        let face = FaceTemplate(engine: "sface", modelVersion: "2021dec", values: ours.unit)
        #expect(try MatchTemplate(face).model == other.model)
    }

    @Test func badDescriptorsAreRefusedWithAReason() throws {
        let cases: [[Float]] = [[Float](repeating: 0.1, count: 127), [Float](repeating: 0, count: 128),
                                [Float](repeating: 0.1, count: 127) + [.nan]]
        for values in cases {
            let error = #expect(throws: MatchError.self) { try MatchTemplate(model: Support.model, descriptor: values) }
            #expect(error?.code == .badTemplate)
        }
    }

    @Test func damagedSerialisedTemplatesThrowInsteadOfTrapping() throws {
        let good = try Support.randomTemplates(1, seed: 3)[0].serialized(as: .int8)
        // Every prefix is cut short somewhere: each must throw, none may trap.
        for length in 0..<good.count {
            #expect(throws: MatchError.self) { try MatchTemplate(serialized: good.prefix(length)) }
        }
        var wrongVersion = good
        wrongVersion[4] = 9
        let error = #expect(throws: MatchError.self) { try MatchTemplate(serialized: wrongVersion) }
        #expect(error?.code == .badFormat)
        var wrongMagic = good
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(throws: MatchError.self) { try MatchTemplate(serialized: wrongMagic) }
        #expect(throws: MatchError.self) { try MatchTemplate(serialized: good + Data([0])) }
    }
}
