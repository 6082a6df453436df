import DataIO
import Foundation
import _TestSupport
import XCTest

/// Round trips, the byte layout Python's `safetensors` expects, dtype conversions and one-line errors.
final class SafetensorsTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryDirectory("audioplane-safetensors") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func sample() -> SafetensorsArchive {
        var values: [Float] = (0..<24).map { Float($0) * 0.25 - 3 }
        values[0] = .nan; values[1] = -.infinity; values[2] = -0.0; values[3] = .leastNonzeroMagnitude
        return SafetensorsArchive(
            tensors: ["layer.weight": .init(shape: [2, 3, 4], float32: values),
                      "layer.bias": .init(shape: [3], float32: [1, 2, 3]),
                      "scalar": .init(shape: [], float32: [42])],
            metadata: ["format": "pt", "note": "quote \" and\nnewline"])
    }

    func testRoundTripIsExact() throws {
        let url = folder.appendingPathComponent("a.safetensors")
        let archive = sample()
        try Safetensors.write(archive, to: url)
        let back = try Safetensors.read(url)
        XCTAssertEqual(back.metadata, archive.metadata)
        XCTAssertEqual(back.names, ["layer.bias", "layer.weight", "scalar"])
        for name in archive.names {
            XCTAssertEqual(back.tensors[name]?.shape, archive.tensors[name]?.shape)
            XCTAssertEqual(back.tensors[name]?.floatValues().map(\.bitPattern), archive.tensors[name]?.floatValues().map(\.bitPattern))
        }
        XCTAssertEqual(Safetensors.encode(back), Safetensors.encode(archive), "encoding is deterministic")
    }

    /// The layout checked byte by byte: u64 header size (multiple of 8), JSON header, contiguous data.
    func testLayoutMatchesTheFormat() throws {
        let data = Safetensors.encode(SafetensorsArchive(tensors: ["x": .init(shape: [2], float32: [1, -2])]))
        let n = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: data[8..<(8 + n)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(header, #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#)
        XCTAssertEqual([UInt8](data[(8 + n)...]), [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])
    }

    /// Python reads what we write (numpy only: parse the header and `frombuffer` each tensor).
    func testPythonReadsOurFile() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("python3 is not installed") }
        let url = folder.appendingPathComponent("p.safetensors")
        try Safetensors.write(sample(), to: url)
        let script = """
        import json, struct, sys
        import numpy as np
        b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n])
        meta = h.pop('__metadata__'); end = 0
        for k in sorted(h, key=lambda k: h[k]['data_offsets'][0]):
            s, e = h[k]['data_offsets']; assert s == end; end = e
        assert end == len(b) - 8 - n
        w = np.frombuffer(b[8+n:][slice(*h['layer.weight']['data_offsets'])], '<f4').reshape(h['layer.weight']['shape'])
        print(meta['format'], w.shape, float(w[1, 2, 3]))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, url.path]
        let pipe = Pipe()
        process.standardOutput = pipe; process.standardError = pipe
        try process.run(); process.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if out.contains("No module named 'numpy'") { throw XCTSkip("numpy is not installed") }
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "pt (2, 3, 4) 2.75")
    }

    func testReadsOtherFloatTypes() throws {
        func entry(_ dtype: SafetensorsArchive.DType, _ bytes: [UInt8], count: Int) -> SafetensorsArchive.Entry {
            .init(dtype: dtype, shape: [count], bytes: Data(bytes))
        }
        // F16: 1.0 = 0x3C00, −2.0 = 0xC000, smallest subnormal 0x0001 = 2⁻²⁴, +inf 0x7C00.
        let f16 = entry(.F16, [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C], count: 4)
        XCTAssertEqual(f16.floatValues(), [1, -2, Float(sign: .plus, exponent: -24, significand: 1), .infinity])
        // BF16: upper half of Float 1.5 (0x3FC00000) → 0x3FC0.
        XCTAssertEqual(entry(.BF16, [0xC0, 0x3F], count: 1).floatValues(), [1.5])
        let f64 = Data((0.1).bitPattern.littleEndian.bytes)
        XCTAssertEqual(SafetensorsArchive.Entry(dtype: .F64, shape: [1], bytes: f64).floatValues(), [Float(0.1)])
        XCTAssertEqual(entry(.I8, [0xFF, 0x02], count: 2).floatValues(), [-1, 2])
        // Through a file, too.
        let url = folder.appendingPathComponent("h.safetensors")
        try Safetensors.write(SafetensorsArchive(tensors: ["h": f16]), to: url)
        XCTAssertEqual(try Safetensors.read(url).tensors["h"]?.dtype, .F16)
    }

    func testErrorsAreOneLineAndNameTheFile() throws {
        let missing = folder.appendingPathComponent("missing.safetensors")
        XCTAssertThrowsError(try Safetensors.read(missing)) {
            XCTAssertEqual("\($0)", "\(missing.path): cannot read safetensors file: no such file")
        }
        let garbage = folder.appendingPathComponent("garbage.safetensors")
        try Data([200, 0, 0, 0, 0, 0, 0, 0, 1, 2]).write(to: garbage)
        XCTAssertThrowsError(try Safetensors.read(garbage)) { XCTAssertTrue("\($0)".hasPrefix("\(garbage.path): malformed safetensors header")) }
        var bytes = [UInt8](Safetensors.encode(sample()))
        bytes.removeLast(4)
        XCTAssertThrowsError(try Safetensors.decode(Data(bytes), path: "cut.safetensors")) {
            XCTAssertTrue("\($0)".hasPrefix("cut.safetensors: tensor 'scalar' has bad data offsets"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
        XCTAssertThrowsError(try sample().floats("nope", path: "a.safetensors")) {
            XCTAssertEqual("\($0)", "a.safetensors: missing tensor 'nope'")
        }
    }
}

private extension UInt64 {
    var bytes: [UInt8] { (0..<8).map { UInt8((self >> (8 * $0)) & 0xFF) } }
}
