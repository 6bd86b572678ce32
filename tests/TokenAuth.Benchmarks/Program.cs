using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using TokenAuth.Benchmarks;

// dotnet run -c Release --project tests/TokenAuth.Benchmarks                       the full run, then the report
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --quick            a short run (under 3 minutes)
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --report           only the memory and stampede report
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --throughput [ROUNDS] [raw|tokenauth] [--concurrency N]   side by side (64 unless told), for trying a change or profiling
// Other arguments go to BenchmarkDotNet, e.g. --filter '*WarmTokenLookup*'.
if (args.Length > 0 && args[0] == "--throughput")
{
    var concurrencyAt = Array.IndexOf(args, "--concurrency");
    var concurrency = concurrencyAt > 0 && concurrencyAt + 1 < args.Length ? int.Parse(args[concurrencyAt + 1]) : 64;
    var rest = args.Skip(1).Where((_, index) => concurrencyAt < 0 || (index + 1 != concurrencyAt && index + 1 != concurrencyAt + 1)).ToArray();
    var rounds = rest.Select(argument => int.TryParse(argument, out var count) ? count : 0).FirstOrDefault(count => count > 0, 9);
    await Throughput.RunAsync(rounds, perCase: TimeSpan.FromSeconds(3), only: rest.FirstOrDefault(argument => argument is "raw" or "tokenauth"), concurrency);
    return;
}

var quick = args.Contains("--quick");
var report = args.Contains("--report");
var benchmarkArguments = args.Where(argument => argument is not ("--quick" or "--report")).ToArray();
if (!report)
{
    var config = quick ? DefaultConfig.Instance.AddJob(Job.ShortRun.WithId("Quick")) : DefaultConfig.Instance;
    var switcher = BenchmarkSwitcher.FromTypes([typeof(WarmTokenLookup), typeof(AuthenticatedRequest), typeof(PipelineOverhead), typeof(ColdStampede)]);
    switcher.Run(benchmarkArguments.Length > 0 ? benchmarkArguments : ["--filter", "*"], config);
}

await Report.RunAsync(quick ? 20_000 : 100_000);
