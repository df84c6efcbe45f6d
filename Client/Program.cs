using SessionGrains.Client;

var app = FrontEndHost.Build(args);
app.Run();
