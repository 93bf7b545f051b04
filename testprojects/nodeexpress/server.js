// langbuild's Node test app: answers /hello, and says who it runs as.
const express = require("express");
const { greeting } = require("./lib/greeting");

const app = express();
app.get("/hello", (req, res) => {
  res.send(`${greeting()} as uid ${process.getuid()} in ${process.env.NODE_ENV}`);
});
const port = Number(process.env.PORT || 8080);
app.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
