import Foundation
import TensorCore

/// Random English sentences from a small built-in vocabulary, seeded (`--text-seed`): varied
/// phonemes (open and closed vowels, bilabials, fricatives, rounded consonants) for lip-sync data.
public struct SentenceGenerator {
    private var rng: SeededRandom

    public init(seed: UInt64) { rng = SeededRandom(seed: seed &* 0x9E37_79B9 &+ 17) }

    static let subjects = ["the old man", "my brother", "a small dog", "the pilot", "our teacher", "the baker", "my mother",
                           "a young woman", "the farmer", "the mayor", "a tall boy", "the captain", "my friend", "the doctor",
                           "a quiet cat", "the painter", "the market", "the weather", "a big ship", "the music"]
    static let verbs = ["walked past", "looked at", "carried", "painted", "found", "opened", "bought", "watched", "moved",
                        "played with", "talked about", "wanted", "brought back", "followed", "remembered", "pushed", "made",
                        "borrowed", "cleaned", "saw"]
    static let objects = ["a blue boat", "the garden gate", "some warm bread", "the park", "a paper map", "the window",
                          "an apple pie", "the bright morning", "a wooden box", "the shop by the river", "a heavy bag",
                          "the cool water", "a pair of shoes", "the village", "five red balloons", "the mountain road",
                          "a book of poems", "the broken clock", "a cup of coffee", "the harbour"]
    static let tails = ["before noon", "after the rain", "on Monday", "with a smile", "every summer", "far away",
                        "in the evening", "because it was cold", "without a word", "at the station", "by the sea",
                        "once again", "quite slowly", "for an hour", "near the bridge", "all day long"]
    static let openers = ["Yesterday", "Oh well", "Honestly", "Later on", "Every morning", "Maybe", "Look", "Of course",
                          "Now and then", "Wow"]
    static let questions = ["Why do you always laugh at my jokes?", "Would you like some more soup?", "How far is the beach from here?",
                            "Who painted the blue house on the hill?", "Are you coming to the party tonight?",
                            "What about a walk along the water?", "Could you open the window, please?"]

    private mutating func pick(_ list: [String]) -> String { list[rng.index(list.count)] }

    /// One sentence, ending in punctuation.
    public mutating func sentence() -> String {
        switch rng.index(6) {
        case 0: return pick(Self.questions)
        case 1: return "\(pick(Self.openers)), \(pick(Self.subjects)) \(pick(Self.verbs)) \(pick(Self.objects)) \(pick(Self.tails))."
        case 2: return "\(capitalised(pick(Self.subjects))) \(pick(Self.verbs)) \(pick(Self.objects)), and \(pick(Self.subjects)) \(pick(Self.verbs)) \(pick(Self.objects))."
        default: return "\(capitalised(pick(Self.subjects))) \(pick(Self.verbs)) \(pick(Self.objects)) \(pick(Self.tails))."
        }
    }

    /// A random pause between sentences, seconds.
    public mutating func pause() -> Double { rng.uniformDouble(0.25, 0.6) }

    private func capitalised(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
}
