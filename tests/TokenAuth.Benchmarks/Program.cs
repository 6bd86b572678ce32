using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using TokenAuth.Benchmarks;

// dotnet run -c Release --project tests/TokenAuth.Benchmarks                       the full run, then the report
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --quick            a short run (under 3 minutes)
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --report           only the memory and stampede report
// Other arguments go to BenchmarkDotNet, e.g. --filter '*WarmTokenLookup*'.
var quick = args.Contains("--quick");
var report = args.Contains("--report");
var benchmarkArguments = args.Where(argument => argument is not ("--quick" or "--report")).ToArray();
if (!report)
{
    var config = quick ? DefaultConfig.Instance.AddJob(Job.ShortRun.WithId("Quick")) : DefaultConfig.Instance;
    var switcher = BenchmarkSwitcher.FromTypes([typeof(WarmTokenLookup), typeof(AuthenticatedRequest), typeof(ColdStampede)]);
    switcher.Run(benchmarkArguments.Length > 0 ? benchmarkArguments : ["--filter", "*"], config);
}

await Report.RunAsync(quick ? 20_000 : 100_000);
