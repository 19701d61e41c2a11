console.log('codistill: commands arrive as the packages land');
