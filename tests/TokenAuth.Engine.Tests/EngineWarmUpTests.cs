using System.Collections.Generic;
using System.Threading.Tasks;
using TokenAuth.Json;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>The import's warm-up runs the real token and request paths, on canned answers only.</summary>
public sealed class EngineWarmUpTests
{
    [Fact]
    public async Task It_gets_a_token_and_sends_two_requests_through_the_engine_building_each_answer()
    {
        var builder = new RecordingBuilder();

        var tokenRequests = await EngineWarmUp.RunAsync(builder);

        Assert.Equal(1, tokenRequests);
        // Each answer reached the builder whole: the token call, the request with its token, and the one with the cached token got through.
        Assert.Equal(new[] { "id", "name", "tags", "price", "active", "parent", "id", "name", "tags", "price", "active", "parent" }, builder.Names);
    }

    [Fact]
    public async Task Run_in_the_background_it_ends_without_an_error_even_when_it_fails()
    {
        var failing = new RecordingBuilder { Fails = true };

        await EngineWarmUp.RunQuietly(failing);
        await Assert.ThrowsAsync<System.InvalidOperationException>(() => EngineWarmUp.RunAsync(failing));
    }

    [Fact]
    public void It_starts_once_a_process_however_many_runspaces_import_the_module()
    {
        EngineWarmUp.Start(new RecordingBuilder());

        Assert.Same(Task.CompletedTask, EngineWarmUp.Start(new RecordingBuilder()));
    }

    private sealed class RecordingBuilder : IJsonObjectBuilder
    {
        public List<string> Names { get; } = new List<string>();

        public bool Fails { get; init; }

        public object NewObject() => Fails ? throw new System.InvalidOperationException("the builder failed") : new object();

        public void AddProperty(object target, string name, object? value) => Names.Add(name);
    }
}
