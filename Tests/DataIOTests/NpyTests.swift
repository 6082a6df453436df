import DataIO
import TensorCore
import _TestSupport
import XCTest

final class NpyTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryDirectory("audioplane-npy") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func python(_ script: String) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("python3 is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if output.contains("No module named 'numpy'") { throw XCTSkip("numpy is not installed (run scripts/setup.sh)") }
        return (process.terminationStatus, output)
    }

    /// Awkward float32 values (NaN payloads, ±inf, −0, subnormals) survive bit for bit.
    func testFloat32RoundTripIsExact() throws {
        var values: [Float] = (0..<(3 * 16 * 29)).map { Float($0) * 0.001 - 0.5 }
        values[0] = .nan; values[1] = -.infinity; values[2] = .infinity; values[3] = -0.0
        values[4] = .leastNonzeroMagnitude; values[5] = .greatestFiniteMagnitude
        let url = folder.appendingPathComponent("aud_ds.npy")
        try Npy.write(NpyArray(shape: [3, 16, 29], float32: values), to: url)
        let back = try Npy.read(url)
        XCTAssertEqual(back.shape, [3, 16, 29])
        XCTAssertEqual(back.dtype, .float32)
        XCTAssertEqual(back.floatValues().map(\.bitPattern), values.map(\.bitPattern))
    }

    func testEveryDTypeRoundTrips() throws {
        let doubles: [Double] = [1.5, -2.25, .pi, 1e-300, -1e300, 0]
        let arrays: [NpyArray] = [
            NpyArray(shape: [2, 3], dtype: .float64, values: .float64(doubles)),
            NpyArray(shape: [6], dtype: .int64, values: .integers([0, 1, -1, .max, .min, 42])),
            NpyArray(shape: [3, 2], dtype: .int32, values: .integers([0, 1, -1, Int64(Int32.max), Int64(Int32.min), 7])),
            NpyArray(shape: [2, 3], dtype: .int16, values: .integers([0, 1, -1, 32767, -32768, 7])),
            NpyArray(shape: [6], dtype: .int8, values: .integers([0, 1, -1, 127, -128, 7])),
            NpyArray(shape: [6], dtype: .uint8, values: .integers([0, 1, 255, 128, 127, 7])),
            NpyArray(shape: [3], dtype: .uint16, values: .integers([0, 65535, 7])),
            NpyArray(shape: [3], dtype: .uint32, values: .integers([0, Int64(UInt32.max), 7])),
            NpyArray(shape: [2], dtype: .uint64, values: .integers([0, .max])),
            NpyArray(shape: [], float32: [3.5]),
            NpyArray(shape: [0, 16, 29], float32: []),
        ]
        for array in arrays {
            XCTAssertEqual(try Npy.decode(Npy.encode(array)), array, "\(array.dtype) \(array.shape)")
        }
    }

    /// numpy reads our file with the right shape, dtype and values.
    func testNumpyReadsOurFiles() throws {
        let tensor = Tensor(shape: [4, 16, 32], data: (0..<(4 * 16 * 32)).map { Float($0) * 0.25 })
        let url = folder.appendingPathComponent("feats.npy")
        try Npy.write(tensor, to: url)
        let result = try python("""
        import numpy as np
        a = np.load('\(url.path)')
        print(a.shape, a.dtype, float(a.sum()), float(a[3, 15, 31]), a.flags['C_CONTIGUOUS'])
        """)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output, "(4, 16, 32) float32 524032.0 511.75 True")
    }

    /// We read numpy's own files (ER-NeRF-style arrays of several dtypes), and reject big-endian and
    /// Fortran-order files with one-line errors naming the file.
    func testWeReadNumpyFiles() throws {
        let p = folder.path
        let result = try python("""
        import numpy as np
        np.save('\(p)/aud_ds.npy', np.arange(2*16*29, dtype=np.float32).reshape(2, 16, 29) / 7)
        np.save('\(p)/aud_hu.npy', np.linspace(-1, 1, 3*2*1024).reshape(3, 2, 1024))
        np.save('\(p)/ids.npy', np.array([[1, -2], [3, 2**40]], dtype=np.int64))
        np.save('\(p)/small.npy', np.array([1, 2, 250], dtype=np.uint8))
        np.save('\(p)/big.npy', np.arange(4, dtype='>f4'))
        np.save('\(p)/fortran.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
        np.save('\(p)/strings.npy', np.array(['a', 'b']))
        print('ok')
        """)
        XCTAssertEqual(result.output, "ok")
        let ds = try Npy.read(folder.appendingPathComponent("aud_ds.npy"))
        XCTAssertEqual(ds.shape, [2, 16, 29])
        XCTAssertEqual(ds.floatValues(), (0..<(2 * 16 * 29)).map { Float($0) / 7 })
        let hu = try Npy.read(folder.appendingPathComponent("aud_hu.npy"))
        XCTAssertEqual(hu.dtype, .float64)
        XCTAssertEqual(hu.tensor().shape, [3, 2, 1024])
        XCTAssertEqual(hu.floatValues().first, -1)
        XCTAssertEqual(try Npy.read(folder.appendingPathComponent("ids.npy")).values, .integers([1, -2, 3, 1 << 40]))
        XCTAssertEqual(try Npy.read(folder.appendingPathComponent("small.npy")).values, .integers([1, 2, 250]))
        for (name, words) in [("big.npy", "big-endian"), ("fortran.npy", "Fortran"), ("strings.npy", "unsupported npy dtype")] {
            let url = folder.appendingPathComponent(name)
            XCTAssertThrowsError(try Npy.read(url)) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.hasPrefix(url.path) && text.contains(words) && !text.contains("\n"), text)
            }
        }
    }

    func testBadFilesGiveOneLineErrors() throws {
        let good = Npy.encode(NpyArray(shape: [10], float32: [Float](repeating: 1, count: 10)))
        let cases: [(name: String, bytes: Data?, words: String)] = [
            ("missing.npy", nil, "no such file"),
            ("text.npy", Data("hello, I am text\n".utf8), "not a NumPy .npy file"),
            ("truncated.npy", good.prefix(good.count - 3), "truncated"),
            ("empty.npy", Data(), "not a NumPy .npy file"),
        ]
        for (name, bytes, words) in cases {
            let url = folder.appendingPathComponent(name)
            if let bytes { try bytes.write(to: url) }
            XCTAssertThrowsError(try Npy.read(url)) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.hasPrefix(url.path) && text.contains(words) && !text.contains("\n"), text)
            }
        }
        XCTAssertThrowsError(try Npy.write(Tensor(zeros: [2]), to: folder.appendingPathComponent("no/such/folder/x.npy")))
    }

    /// Headers are padded so the data starts on a 64-byte boundary (numpy's rule).
    func testHeaderAlignment() {
        for shape in [[1], [3, 16, 29], [12_345, 2, 3], [7, 7, 7, 7, 7, 7]] {
            let data = Npy.encode(NpyArray(shape: shape, float32: [Float](repeating: 0, count: shape.reduce(1, *))))
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0, "\(shape)")
        }
    }
}
