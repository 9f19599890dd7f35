using Crm.Data.Activities;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Messages;

/// <summary>An activity's media, recordings, voicemail and transcript are JSON documents in their own columns.</summary>
public sealed class ActivityDocumentTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private async Task<Activity> ArrangeCallAsync()
    {
        var line = TestData.Line();
        var contact = TestData.Contact(1);
        var conversation = TestData.Conversation(contact, line, TestData.Epoch);
        var call = TestData.Message(conversation, "call", TestData.Epoch);
        call.Kind = ActivityKind.Call;
        call.Recordings = [new MediaItem { Url = "https://media.example.com/rec.mp3", Type = "audio/mpeg", DurationSeconds = 42 }];
        call.Transcript = [new TranscriptLine { Speaker = "Customer", Text = "The crack is getting wider.", StartSeconds = 0, EndSeconds = 2.5 }];
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, contact, conversation, call);
            return Task.CompletedTask;
        });
        return call;
    }

    [Fact]
    public async Task TheDocumentsAreStoredAsTheRowsWrittenBeforeThemAndByTheBenchmarkGeneratorHoldThem()
    {
        var call = await ArrangeCallAsync();

        var stored = await Fixture.QueryAsync(db => db.Database
            .SqlQuery<string>($"""SELECT jsonb_build_array("Media", "Recordings", "Voicemail", "Transcript")::text AS "Value" FROM "Activities" WHERE "Id" = {call.Id}""")
            .SingleAsync());

        Assert.Equal(
            """[[], [{"Url": "https://media.example.com/rec.mp3", "Type": "audio/mpeg", "DurationSeconds": 42}], null, [{"Text": "The crack is getting wider.", "Speaker": "Customer", "EndSeconds": 2.5, "StartSeconds": 0}]]""",
            stored);
    }

    [Fact]
    public async Task AListChangedInPlaceIsSaved()
    {
        var call = await ArrangeCallAsync();

        await Fixture.ArrangeAsync(async db =>
        {
            var tracked = await db.Activities.SingleAsync(a => a.Id == call.Id);
            tracked.Recordings.Add(new MediaItem { Url = "https://media.example.com/rec-2.mp3" });
            tracked.Transcript[0].Text = "The crack is much wider.";
        });

        var saved = await Fixture.QueryAsync(db => db.Activities.AsNoTracking().SingleAsync(a => a.Id == call.Id));
        Assert.Equal(["https://media.example.com/rec.mp3", "https://media.example.com/rec-2.mp3"], saved.Recordings.Select(r => r.Url));
        Assert.Equal("The crack is much wider.", saved.Transcript.Single().Text);
        Assert.Empty(saved.Media);
        Assert.Null(saved.Voicemail);
    }
}
