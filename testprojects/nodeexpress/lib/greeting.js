exports.greeting = () => "hello from express";
