using System.Diagnostics;

namespace TokenAuth.Benchmarks;

/// <summary>
/// A quick side-by-side of the request cases (concurrency 64 unless told), for trying a change before a full
/// BenchmarkDotNet run and for profiling (perf record -p PID while a case runs): raw and TokenAuth alternating in
/// rounds, each round reported with the ratio of their throughputs and the process's CPU time per request (client and
/// in-process server together), which other tenants of a shared machine disturb far less than throughput. With --tls,
/// the same pair over the emulator's HTTPS listener joins the rounds, so that what TLS costs TokenAuth is set beside
/// what it costs the raw client, in the same run.
/// </summary>
public static class Throughput
{
    public static async Task RunAsync(int rounds, TimeSpan perCase, string? only, int concurrency, bool withTls)
    {
        var schemes = new List<(string Scheme, AuthenticatedRequest Benchmark)> { ("http", new AuthenticatedRequest { Concurrency = concurrency }) };
        if (withTls)
        {
            schemes.Add(("https", new AuthenticatedRequest { Concurrency = concurrency, OverTls = true }));
        }

        foreach (var (_, benchmark) in schemes)
        {
            await benchmark.Setup();
        }

        try
        {
            var cases = schemes.SelectMany(scheme => new (string Name, Func<Task> Batch)[]
                {
                    ($"raw {scheme.Scheme}", scheme.Benchmark.Raw), ($"tokenauth {scheme.Scheme}", scheme.Benchmark.TokenAuth),
                })
                .Where(c => only == null || c.Name.StartsWith(only, StringComparison.Ordinal)).ToArray();
            foreach (var (_, batch) in cases)
            {
                await Drive(batch, concurrency, TimeSpan.FromSeconds(2));
            }

            Console.WriteLine($"process {Environment.ProcessId}; batches of {concurrency} concurrent requests, {perCase.TotalSeconds:0.#} s per case per round");
            var ratios = schemes.ToDictionary(scheme => scheme.Scheme, _ => (Throughput: new List<double>(), Cpu: new List<double>()));
            for (var round = 0; round < rounds; round++)
            {
                var perSecond = new Dictionary<string, (double Requests, double CpuMicroseconds)>();
                foreach (var (name, batch) in round % 2 == 0 ? cases : cases.Reverse())
                {
                    perSecond[name] = await Drive(batch, concurrency, perCase);
                }

                var line = string.Join("  ", perSecond.Select(p => $"{p.Key} {p.Value.Requests:N0}/s {p.Value.CpuMicroseconds:0.0} µs CPU"));
                foreach (var (scheme, (throughput, cpu)) in ratios)
                {
                    if (perSecond.TryGetValue($"raw {scheme}", out var raw) && perSecond.TryGetValue($"tokenauth {scheme}", out var tokenAuth))
                    {
                        throughput.Add(tokenAuth.Requests / raw.Requests);
                        cpu.Add(tokenAuth.CpuMicroseconds / raw.CpuMicroseconds);
                        line += $"  {scheme}: throughput {throughput[^1]:P1}, CPU {cpu[^1]:P1}";
                    }
                }

                Console.WriteLine($"  round {round + 1}: {line}");
            }

            foreach (var (scheme, (throughput, cpu)) in ratios.Where(ratio => ratio.Value.Throughput.Count > 0))
            {
                Console.WriteLine($"TokenAuth against raw over {scheme}, medians over {throughput.Count} rounds: throughput {Spread(throughput)}, CPU per request {Spread(cpu)}");
            }
        }
        finally
        {
            foreach (var (_, benchmark) in schemes)
            {
                await benchmark.Cleanup();
            }
        }
    }

    private static string Spread(List<double> values)
    {
        values.Sort();
        var mean = values.Average();
        var deviation = Math.Sqrt(values.Sum(value => (value - mean) * (value - mean)) / (values.Count - 1));
        return $"{values[values.Count / 2]:P1} (range {values[0]:P1}-{values[^1]:P1}, SD {deviation * 100:0.0} points, standard error {deviation * 100 / Math.Sqrt(values.Count):0.0})";
    }

    private static async Task<(double Requests, double CpuMicroseconds)> Drive(Func<Task> batch, int concurrency, TimeSpan duration)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var requests = 0;
        while (watch.Elapsed < duration)
        {
            await batch();
            requests += concurrency;
        }

        process.Refresh();
        return (requests / watch.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMicroseconds / requests);
    }
}
